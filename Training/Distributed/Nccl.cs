using SdAE.Abstractions.Distributed;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training.Distributed;

/// <summary>
/// Collectives on CUDA tensors over NCCL (libnccl.so.2), by P/Invoke: rank 0 makes the unique id,
/// the bootstrap collectives (Open MPI; a single process for a one-rank check) broadcast it, every
/// rank joins the communicator. Operations go on the default CUDA
/// stream (TorchSharp has no stream API), where libtorch's kernels also run, so they are ordered
/// with the step; the watchdog covers the wait for the result. CPU tensors and barriers go through
/// the bootstrap. Not exercised in CI (no GPU): bench/device-run.sh checks it on a GPU machine.
/// </summary>
public sealed partial class Nccl : ICollectives
{
    const string Library = "libnccl.so.2";
    const int Uint8 = 1, Float32 = 7, Sum = 0;   // ncclDataType_t, ncclRedOp_t

    readonly ICollectives bootstrap;
    readonly IntPtr communicator;
    readonly CollectiveWatchdog watchdog;

    [InlineArray(128)]
    struct UniqueId
    {
        byte first;
    }

    Nccl(ICollectives bootstrap, TimeSpan timeout)
    {
        this.bootstrap = bootstrap;
        var id = new UniqueId();
        if (bootstrap.Rank == 0) Check(ncclGetUniqueId(ref id), "ncclGetUniqueId");
        using (var bytes = torch.tensor(((ReadOnlySpan<byte>)id).ToArray()))
        {
            bootstrap.Broadcast(bytes);
            bytes.data<byte>().CopyTo(id);
        }
        Check(ncclCommInitRank(out communicator, bootstrap.Size, id, bootstrap.Rank), "ncclCommInitRank");
        watchdog = new CollectiveWatchdog(timeout, bootstrap.Rank, bootstrap.Size);
    }

    /// <summary>Joins the ranks of <paramref name="bootstrap"/> in one NCCL communicator (and owns it); a clear error when libnccl is missing.</summary>
    public static Nccl Start(ICollectives bootstrap, TimeSpan timeout)
    {
        if (!NativeLibrary.TryLoad(Library, out _))
            throw new CollectivesException($"CUDA collectives over {bootstrap.Size} rank(s) need NCCL, but its {Library} could not be loaded.",
                "install NCCL 2 (NVIDIA's libnccl2 package; pip's PyTorch has it in site-packages/nvidia/nccl/lib, which LD_LIBRARY_PATH can name).");
        return new Nccl(bootstrap, timeout);
    }

    public int Rank => bootstrap.Rank;
    public int Size => bootstrap.Size;
    public int LocalRank => bootstrap.LocalRank;
    public string Engine => "NCCL (bootstrapped over Open MPI)";

    public void AllReduceSum(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CUDA)
        {
            bootstrap.AllReduceSum(tensor);
            return;
        }
        if (tensor.dtype != ScalarType.Float32) throw new ArgumentException("allreduce sums float32 tensors");
        var (address, _) = TensorMemory.Of(tensor);
        Run("allreduce", () => ncclAllReduce(address, address, (nuint)tensor.numel(), Float32, Sum, communicator, IntPtr.Zero), tensor.device);
    }

    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (tensor.device_type != DeviceType.CUDA)
        {
            bootstrap.Broadcast(tensor, root);
            return;
        }
        var (address, bytes) = TensorMemory.Of(tensor);
        Run("broadcast", () => ncclBroadcast(address, address, (nuint)bytes, Uint8, root, communicator, IntPtr.Zero), tensor.device);
    }

    public void Barrier() => bootstrap.Barrier();

    void Run(string what, Func<int> call, Device device)
    {
        watchdog.Enter(what);
        Check(call(), "nccl " + what);
        cuda.synchronize(device);   // a peer that died shows here, under the watchdog
        watchdog.Leave();
    }

    public void Dispose()
    {
        watchdog.Dispose();
        ncclCommDestroy(communicator);
        bootstrap.Dispose();
    }

    static void Check(int result, string call)
    {
        if (result != 0)
            throw new CollectivesException($"{call} failed: {Marshal.PtrToStringUTF8(ncclGetErrorString(result))} (NCCL result {result}).",
                "set NCCL_DEBUG=INFO and run again to see why; each rank needs its own GPU.");
    }

    [LibraryImport(Library)] private static partial int ncclGetUniqueId(ref UniqueId id);
    [LibraryImport(Library)] private static partial int ncclCommInitRank(out IntPtr communicator, int ranks, UniqueId id, int rank);
    [LibraryImport(Library)] private static partial int ncclAllReduce(IntPtr send, IntPtr receive, nuint count, int type, int op, IntPtr communicator, IntPtr stream);
    [LibraryImport(Library)] private static partial int ncclBroadcast(IntPtr send, IntPtr receive, nuint count, int type, int root, IntPtr communicator, IntPtr stream);
    [LibraryImport(Library)] private static partial int ncclCommDestroy(IntPtr communicator);
    [LibraryImport(Library)] private static partial IntPtr ncclGetErrorString(int result);
}
