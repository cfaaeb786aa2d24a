using SdAE.Abstractions.Distributed;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training.Distributed;

/// <summary>
/// Collectives over Open MPI's C library (libmpi.so.40, Debian's libopenmpi3), by P/Invoke: the
/// processes mpirun or srun started. Handles such as MPI_COMM_WORLD are addresses of Open MPI's
/// globals, read from the library; MPI_IN_PLACE is (void*)1. Tensors must be on the CPU (NCCL
/// carries CUDA tensors). Every operation runs under the watchdog's timeout.
/// </summary>
public sealed partial class OpenMpi : ICollectives
{
    const string Library = "libmpi.so.40";
    const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED: one thread calls MPI at a time
    static readonly IntPtr InPlace = 1;

    readonly IntPtr world, floatType, byteType, sum;
    readonly CollectiveWatchdog watchdog;
    readonly bool initializedHere;

    OpenMpi(IntPtr library, TimeSpan timeout)
    {
        world = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        floatType = NativeLibrary.GetExport(library, "ompi_mpi_float");
        byteType = NativeLibrary.GetExport(library, "ompi_mpi_byte");
        sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
        Check(MPI_Initialized(out int already), "MPI_Initialized");
        if (already == 0)
        {
            Check(MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, ThreadSerialized, out _), "MPI_Init_thread");
            initializedHere = true;
        }
        Check(MPI_Comm_rank(world, out int rank), "MPI_Comm_rank");
        Check(MPI_Comm_size(world, out int size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        LocalRank = LaunchEnvironment.LocalRank ?? rank;
        watchdog = new CollectiveWatchdog(timeout, rank, size);
    }

    /// <summary>Initialises MPI in this process; a clear error when Open MPI's library is not installed.</summary>
    public static OpenMpi Start(TimeSpan timeout)
    {
        if (!NativeLibrary.TryLoad(Library, out var library))
            throw new CollectivesException($"this process was started as one of several ranks, but Open MPI's {Library} could not be loaded.",
                "install Open MPI 4 (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3, or scripts/install-mpi.sh), or run without mpirun/srun.");
        return new OpenMpi(library, timeout);
    }

    public int Rank { get; }
    public int Size { get; }
    public int LocalRank { get; }
    public string Engine => "Open MPI";

    public void AllReduceSum(Tensor tensor)
    {
        RequireCpu(tensor, "allreduce");
        if (tensor.dtype != ScalarType.Float32) throw new ArgumentException("allreduce sums float32 tensors");
        var (address, _) = TensorMemory.Of(tensor);
        watchdog.Enter("allreduce");
        for (long done = 0; done < tensor.numel(); done += int.MaxValue)
        {
            int count = (int)Math.Min(int.MaxValue, tensor.numel() - done);
            Check(MPI_Allreduce(InPlace, address + (nint)(done * sizeof(float)), count, floatType, sum, world), "MPI_Allreduce");
        }
        watchdog.Leave();
    }

    public void Broadcast(Tensor tensor, int root = 0)
    {
        RequireCpu(tensor, "broadcast");
        var (address, bytes) = TensorMemory.Of(tensor);
        watchdog.Enter("broadcast");
        for (long done = 0; done < bytes; done += int.MaxValue)
            Check(MPI_Bcast(address + (nint)done, (int)Math.Min(int.MaxValue, bytes - done), byteType, root, world), "MPI_Bcast");
        watchdog.Leave();
    }

    public void Barrier()
    {
        watchdog.Enter("barrier");
        Check(MPI_Barrier(world), "MPI_Barrier");
        watchdog.Leave();
    }

    public void Dispose()
    {
        watchdog.Dispose();
        if (initializedHere) MPI_Finalize();
    }

    static void RequireCpu(Tensor tensor, string what)
    {
        if (tensor.device_type != DeviceType.CPU) throw new ArgumentException($"Open MPI {what} takes CPU tensors; CUDA tensors go through NCCL");
    }

    // the default error handler (MPI_ERRORS_ARE_FATAL) aborts before a failing call returns; this catches the rest
    static void Check(int code, string call)
    {
        if (code != 0) throw new CollectivesException($"{call} failed with MPI error {code}.", "see mpirun's output above; check that every rank runs the same sdae and experiment.");
    }

    [LibraryImport(Library)] private static partial int MPI_Initialized(out int flag);
    [LibraryImport(Library)] private static partial int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);
    [LibraryImport(Library)] private static partial int MPI_Finalize();
    [LibraryImport(Library)] private static partial int MPI_Comm_rank(IntPtr comm, out int rank);
    [LibraryImport(Library)] private static partial int MPI_Comm_size(IntPtr comm, out int size);
    [LibraryImport(Library)] private static partial int MPI_Allreduce(IntPtr send, IntPtr receive, int count, IntPtr type, IntPtr op, IntPtr comm);
    [LibraryImport(Library)] private static partial int MPI_Bcast(IntPtr buffer, int count, IntPtr type, int root, IntPtr comm);
    [LibraryImport(Library)] private static partial int MPI_Barrier(IntPtr comm);
}
