using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>
/// Tensors laid out back to back in one buffer, so that an update of a whole model (AdamW, an EMA
/// teacher) is one operation instead of one or more per tensor: on a GPU each operation costs a
/// kernel launch and host time, which dominate small models.
/// </summary>
public static class FlatLayout
{
    /// <summary>
    /// Makes every tensor a view into one new flat float32 buffer on their device, keeping their
    /// values, and returns the buffer. Call under no_grad; the tensors keep the buffer's storage alive.
    /// </summary>
    public static Tensor Flatten(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) throw new ArgumentException("nothing to lay out");
        if (tensors.Any(t => t.dtype != ScalarType.Float32))
            throw new ArgumentException("flat layouts hold float32 tensors only (fp32 master weights)");
        var flat = zeros(tensors.Sum(t => t.numel()), device: tensors[0].device);
        long offset = 0;
        foreach (var tensor in tensors)
        {
            using var slice = flat.narrow(0, offset, tensor.numel());
            slice.copy_(tensor.detach().reshape(-1));
            tensor.set_(slice.view(tensor.shape));
            offset += tensor.numel();
        }
        return flat;
    }

    /// <summary>
    /// One flat view over tensors that already lie back to back, in this order, in a single float32
    /// storage (as <see cref="Flatten"/> leaves them); null when they do not. Reads metadata only.
    /// </summary>
    public static Tensor? SpanOf(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) return null;
        var first = tensors[0];
        var storage = StorageAddress(first);
        long start = first.storage_offset(), next = start;
        foreach (var tensor in tensors)
        {
            // one storage has one device, so only the storage and the offsets need checking
            if (tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous() || tensor.storage_offset() != next || StorageAddress(tensor) != storage)
                return null;
            next += tensor.numel();
        }
        using var detached = first.detach();
        return detached.as_strided([next - start], [1], start);
    }

    // TorchSharp's own storage<T>() makes two tensor handles per call; this runs once per tensor per EMA step.
    [DllImport("LibTorchSharp", EntryPoint = "THSStorage_data_ptr")]
    static extern IntPtr StorageDataPointer(IntPtr tensor);

    static IntPtr StorageAddress(Tensor tensor) => StorageDataPointer(tensor.Handle);
}
