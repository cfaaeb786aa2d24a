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

public static class MaskPlanTransfer
{
    /// <summary>The plan of images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1 (a rank's share of a global batch); the plan itself when that is all of it.</summary>
    public static MaskPlan Rows(this MaskPlan plan, long start, long count)
    {
        if (start == 0 && count == plan.BatchSize) return plan;
        Tensor? Narrow(Tensor? tensor) => tensor?.narrow(0, start, count);
        return new()
        {
            Grid = plan.Grid,
            Mask = plan.Mask.narrow(0, start, count),
            VisibleIds = Narrow(plan.VisibleIds),
            MaskedIds = Narrow(plan.MaskedIds),
            RestoreIds = Narrow(plan.RestoreIds),
            Folds = Narrow(plan.Folds),
        };
    }

    /// <summary>The same plan with its tensors on <paramref name="device"/> (no copy when already there; no wait for a GPU).</summary>
    public static MaskPlan To(this MaskPlan plan, Device device)
    {
        Tensor? Move(Tensor? tensor) => tensor is null ? null : HostToDevice.Copy(tensor, device);
        return new()
        {
            Grid = plan.Grid,
            Mask = HostToDevice.Copy(plan.Mask, device),
            VisibleIds = Move(plan.VisibleIds),
            MaskedIds = Move(plan.MaskedIds),
            RestoreIds = Move(plan.RestoreIds),
            Folds = Move(plan.Folds),
        };
    }
}
