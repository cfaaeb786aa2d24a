using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training.Distributed;

/// <summary>
/// Collectives on CUDA tensors over NCCL (libnccl.so.2), by P/Invoke: rank 0 makes the unique id,
/// Open MPI broadcasts it, every rank joins the communicator. Operations go on the default CUDA
/// stream (TorchSharp has no stream API), where libtorch's kernels also run, so they are ordered
/// with the step; the watchdog covers the wait for the result. CPU tensors and barriers go through
/// Open MPI. Not exercised in CI (no GPU): bench/device-run.sh checks it on a GPU machine.
/// </summary>
public sealed partial class Nccl : ICollectives
{
    const string Library = "libnccl.so.2";
    const int Uint8 = 1, Float32 = 7, Sum = 0;   // ncclDataType_t, ncclRedOp_t

    readonly OpenMpi mpi;
    readonly IntPtr communicator;
    readonly CollectiveWatchdog watchdog;

    [InlineArray(128)]
    struct UniqueId
    {
        byte first;
    }

    Nccl(OpenMpi mpi, TimeSpan timeout)
    {
        this.mpi = mpi;
        var id = new UniqueId();
        if (mpi.Rank == 0) Check(ncclGetUniqueId(ref id), "ncclGetUniqueId");
        unsafe
        {
            mpi.BroadcastBytes((IntPtr)Unsafe.AsPointer(ref id), 128, root: 0);
        }
        Check(ncclCommInitRank(out communicator, mpi.Size, id, mpi.Rank), "ncclCommInitRank");
        watchdog = new CollectiveWatchdog(timeout, mpi.Rank, mpi.Size);
    }

    /// <summary>Joins the ranks of <paramref name="mpi"/> in one NCCL communicator; a clear error when libnccl is missing.</summary>
    public static Nccl Start(OpenMpi mpi, TimeSpan timeout)
    {
        if (!NativeLibrary.TryLoad(Library, out _))
            throw new CollectivesException($"the run is on CUDA with {mpi.Size} ranks, but NCCL's {Library} could not be loaded.",
                "install NCCL 2 (NVIDIA's libnccl2 package; pip's PyTorch has it in site-packages/nvidia/nccl/lib, which LD_LIBRARY_PATH can name).");
        return new Nccl(mpi, timeout);
    }

    public int Rank => mpi.Rank;
    public int Size => mpi.Size;
    public int LocalRank => mpi.LocalRank;
    public string Engine => "NCCL (bootstrapped over Open MPI)";

    public void AllReduceSum(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CUDA)
        {
            mpi.AllReduceSum(tensor);
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
            mpi.Broadcast(tensor, root);
            return;
        }
        var (address, bytes) = TensorMemory.Of(tensor);
        Run("broadcast", () => ncclBroadcast(address, address, (nuint)bytes, Uint8, root, communicator, IntPtr.Zero), tensor.device);
    }

    public void Barrier() => mpi.Barrier();

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
        mpi.Dispose();
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
