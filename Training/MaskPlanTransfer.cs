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
        return plan.Map(tensor => tensor.narrow(0, start * masks, count * masks));
    }

    /// <summary>The same plan with its tensors on <paramref name="device"/> (no copy when already there; no wait for a GPU).</summary>
    public static MaskPlan To(this MaskPlan plan, Device device) => plan.Map(tensor => HostToDevice.Copy(tensor, device));

    /// <summary>The plan drawn for <paramref name="masks"/> masks per image: its rows read as M per image.</summary>
    public static MaskPlan WithMasksPerImage(this MaskPlan plan, int masks)
    {
        if (plan.BatchSize % masks != 0) throw new ArgumentException($"a plan of {plan.BatchSize} rows does not hold {masks} masks per image.");
        return plan.Map(tensor => tensor, masks);
    }

    /// <summary>Every tensor of the plan through <paramref name="map"/>; its grid and masks per image kept unless given.</summary>
    static MaskPlan Map(this MaskPlan plan, Func<Tensor, Tensor> map, int? masksPerImage = null) => new()
    {
        Grid = plan.Grid,
        MasksPerImage = masksPerImage ?? plan.MasksPerImage,
        Mask = map(plan.Mask),
        VisibleIds = plan.VisibleIds is { } visible ? map(visible) : null,
        MaskedIds = plan.MaskedIds is { } masked ? map(masked) : null,
        RestoreIds = plan.RestoreIds is { } restore ? map(restore) : null,
        Folds = plan.Folds is { } folds ? map(folds) : null,
        TargetGroups = plan.TargetGroups is { } groups ? map(groups) : null,
    };
}
