namespace SdAE.Training.Distributed;

/// <summary>
/// What the launcher says about this process, read from its environment variables: mpirun sets
/// OMPI_COMM_WORLD_*, srun sets SLURM_* (and PMIX_RANK when it starts ranks with --mpi=pmix).
/// Nothing set: one process.
/// </summary>
public static class LaunchEnvironment
{
    /// <summary>How many ranks the launcher started, or null when it started one (or none).</summary>
    public static int? Ranks
    {
        get
        {
            int? size = Number("OMPI_COMM_WORLD_SIZE") ?? (Environment.GetEnvironmentVariable("PMIX_RANK") is null ? null : SrunTasks);
            return size > 1 ? size : null;
        }
    }

    /// <summary>srun started several tasks without an MPI plugin, so they cannot find each other: each would train alone.</summary>
    public static bool IsSrunWithoutMpi =>
        Number("OMPI_COMM_WORLD_SIZE") is null && Environment.GetEnvironmentVariable("PMIX_RANK") is null && SrunTasks > 1;

    /// <summary>This process's rank as the launcher numbered it (0 when it started one), known before MPI starts.</summary>
    public static int Rank => Ranks is null ? 0 : Number("OMPI_COMM_WORLD_RANK") ?? Number("PMIX_RANK") ?? Number("SLURM_PROCID") ?? 0;

    public static int? LocalRank => Number("OMPI_COMM_WORLD_LOCAL_RANK") ?? Number("SLURM_LOCALID");

    /// <summary>Ranks on this machine (they share its cores), at least 1.</summary>
    public static int LocalRanks => Math.Max(1, Number("OMPI_COMM_WORLD_LOCAL_SIZE") ?? LeadingNumber("SLURM_STEP_TASKS_PER_NODE") ?? 1);

    /// <summary>Inside a Slurm job, where the scheduler decides what shares a node.</summary>
    public static bool UnderSlurm => Environment.GetEnvironmentVariable("SLURM_JOB_ID") is not null;

    /// <summary>The cores Slurm gave each task (SLURM_CPUS_PER_TASK), when it says.</summary>
    public static int? SlurmCpusPerTask => Number("SLURM_CPUS_PER_TASK");

    static int? SrunTasks => Number("SLURM_STEP_NUM_TASKS");

    static int? Number(string variable) => int.TryParse(Environment.GetEnvironmentVariable(variable), out int value) ? value : null;

    // Slurm writes tasks per node as "2(x3),1"
    static int? LeadingNumber(string variable)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(text)) return null;
        var digits = new string(text.TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, out int value) ? value : null;
    }
}
