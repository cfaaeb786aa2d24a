using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>
/// Copies host tensors to the device without stopping the host. A plain copy from ordinary
/// (pageable) memory to a GPU waits for everything queued on the GPU first, so the host could not
/// queue the next step while the GPU still runs this one; from page-locked memory the copy is queued
/// like any other operation.
/// </summary>
public static class HostToDevice
{
    /// <summary>The tensor in page-locked memory when it is bound for a GPU (done ahead, e.g. on a data thread); otherwise itself.</summary>
    public static Tensor Pin(Tensor tensor, Device device) =>
        device.type == DeviceType.CUDA && tensor.device_type == DeviceType.CPU ? tensor.pin_memory() : tensor;

    /// <summary>The tensor on <paramref name="device"/>: itself when already there; queued without waiting when bound for a GPU.</summary>
    public static Tensor Copy(Tensor tensor, Device device)
    {
        if (device.type != DeviceType.CUDA || tensor.device_type != DeviceType.CPU) return tensor.to(device);
        using var pinned = tensor.pin_memory(); // a no-op for a tensor already pinned
        return pinned.to(device, non_blocking: true);
    }
}
