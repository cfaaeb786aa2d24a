using static TorchSharp.torch;

namespace SdAE.Abstractions.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over the processes (ranks) of one run.
/// Tensors are changed in place and must be contiguous; every rank calls the same operations in
/// the same order. A single process is one rank, and every operation is then a no-op. The host
/// starts them (SdAE.Training has the Open MPI and NCCL ones); a head gets them in its context to
/// train data-parallel.
/// </summary>
public interface ICollectives : IDisposable
{
    /// <summary>This process's rank, 0 to <see cref="Size"/> - 1; rank 0 writes the run folder.</summary>
    int Rank { get; }
    int Size { get; }
    /// <summary>This process's rank among those on its machine (which GPU it takes).</summary>
    int LocalRank { get; }
    /// <summary>What carries the collectives, for the log: "Open MPI", "NCCL (bootstrapped over Open MPI)".</summary>
    string Engine { get; }
    /// <summary>Replaces the tensor on every rank by the sum of its values over all ranks (float32).</summary>
    void AllReduceSum(Tensor tensor);
    /// <summary>Replaces the tensor on every rank by its value on rank <paramref name="root"/>.</summary>
    void Broadcast(Tensor tensor, int root = 0);
    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();
}

/// <summary>One process: rank 0 of 1; every operation leaves the tensor as it is.</summary>
public sealed class SingleProcess : ICollectives
{
    public static readonly SingleProcess Instance = new();
    public int Rank => 0;
    public int Size => 1;
    public int LocalRank => 0;
    public string Engine => "single process";
    public void AllReduceSum(Tensor tensor) { }
    public void Broadcast(Tensor tensor, int root = 0) { }
    public void Barrier() { }
    public void Dispose() { }
}
