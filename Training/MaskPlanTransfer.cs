using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>Mask plans cut to a rank's rows and moved to the device, like the batches they mask.</summary>
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
