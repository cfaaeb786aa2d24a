using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SdAE.Training.Distributed;

/// <summary>Where a tensor's elements start in memory, for handing them to a native collective library.</summary>
static partial class TensorMemory
{
    /// <summary>The address of the first element (storage offset included) and the tensor's size in bytes.</summary>
    public static (IntPtr Address, long Bytes) Of(Tensor tensor)
    {
        if (!tensor.is_contiguous()) throw new ArgumentException("collectives need contiguous tensors");
        return (ElementAddress(tensor.Handle), tensor.numel() * tensor.element_size());
    }

    // TorchSharp's storage<T>().data_ptr() ignores the tensor's offset into its storage; this does not
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial IntPtr ElementAddress(IntPtr tensor);
}
