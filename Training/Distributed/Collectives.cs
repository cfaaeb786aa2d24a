using SdAE.Abstractions.Distributed;
namespace SdAE.Training.Distributed;

/// <summary>Chooses the collectives for this process from how it was launched and where it trains.</summary>
public static class Collectives
{
    /// <summary>
    /// One process: <see cref="SingleProcess"/>, and MPI is never loaded. Several ranks: Open MPI,
    /// with NCCL on top when <paramref name="cuda"/> (the run's device is a GPU).
    /// </summary>
    public static ICollectives Start(bool cuda)
    {
        if (LaunchEnvironment.IsSrunWithoutMpi)
            throw new CollectivesException("srun started several tasks without an MPI plugin, so each would train alone.",
                "launch with srun --mpi=pmix (Open MPI's PMIx), or use mpirun.");
        if (LaunchEnvironment.Ranks is null) return SingleProcess.Instance;
        var timeout = CollectiveWatchdog.TimeoutFromEnvironment();
        var mpi = OpenMpi.Start(timeout);
        if (!cuda) return mpi;
        try
        {
            return Nccl.Start(mpi, timeout);
        }
        catch
        {
            mpi.Dispose();
            throw;
        }
    }

    /// <summary>NCCL over a communicator of this process alone, no MPI needed: a check that the NCCL binding works on a GPU machine.</summary>
    public static ICollectives SingleRankNccl() => Nccl.Start(SingleProcess.Instance, CollectiveWatchdog.TimeoutFromEnvironment());
}
