using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>Mask plans cut to a rank's rows and moved to the device, like the batches they mask.</summary>
public static class MaskPlanTransfer
{
    /// <summary>
    /// The plan of images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1 (a rank's share of a global batch,
    /// a micro-batch): with several masks per image, all of their rows; the plan itself when that is all of it.
    /// </summary>
    public static MaskPlan Rows(this MaskPlan plan, long start, long count)
    {
        int masks = plan.MasksPerImage;
        if (start == 0 && count * masks == plan.BatchSize) return plan;
        Tensor? Narrow(Tensor? tensor) => tensor?.narrow(0, start * masks, count * masks);
        return new()
        {
            Grid = plan.Grid,
            MasksPerImage = masks,
            Mask = Narrow(plan.Mask)!,
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
            MasksPerImage = plan.MasksPerImage,
            Mask = HostToDevice.Copy(plan.Mask, device),
            VisibleIds = Move(plan.VisibleIds),
            MaskedIds = Move(plan.MaskedIds),
            RestoreIds = Move(plan.RestoreIds),
            Folds = Move(plan.Folds),
        };
    }

    /// <summary>The plan drawn for <paramref name="masks"/> masks per image: its rows read as M per image.</summary>
    public static MaskPlan WithMasksPerImage(this MaskPlan plan, int masks)
    {
        if (plan.BatchSize % masks != 0) throw new ArgumentException($"a plan of {plan.BatchSize} rows does not hold {masks} masks per image.");
        return new()
        {
            Grid = plan.Grid, MasksPerImage = masks, Mask = plan.Mask, VisibleIds = plan.VisibleIds, MaskedIds = plan.MaskedIds,
            RestoreIds = plan.RestoreIds, Folds = plan.Folds,
        };
    }
}
