using SdAE.Training;
using System.ComponentModel;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

public sealed class PixelTargetOptions
{
    [Description("Standardise each target patch by its own mean and variance (MAE's norm_pix_loss).")]
    public bool NormPix { get; set; } = true;
}

/// <summary>
/// MAE's target (plugin `pixel`): the patchified image, optionally standardised per patch; loss is
/// the per-patch MSE averaged over masked patches only.
/// </summary>
public sealed class PixelTarget(PixelTargetOptions options) : IReconstructionTarget, IPixelReconstruction
{
    int patch;
    int channels;

    public int PredictionWidth(EncoderModule student) => student.PatchSize * student.PatchSize * student.Channels;

    public void Attach(EncoderModule student)
    {
        patch = student.PatchSize;
        channels = student.Channels;
    }

    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        var patches = Patches.Patchify(images, patch);
        return options.NormPix ? Patches.Standardise(patches).Normalised : patches;
    }

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan) =>
        new(MaskedMean((MixedPrecision.Full(prediction) - targets).square().mean([-1]), plan.Mask));

    /// <summary>Mean of per-patch values [B, L] over masked patches.</summary>
    public static Tensor MaskedMean(Tensor perPatch, Tensor mask)
    {
        var weight = mask.to_type(perPatch.dtype);
        return (perPatch * weight).sum() / weight.sum();
    }

    public Tensor Reconstruct(Tensor prediction, Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        var original = Patches.Patchify(images, patch);
        var predicted = prediction;
        if (options.NormPix)
        {
            var (_, mean, std) = Patches.Standardise(original);
            predicted = prediction * std + mean;
        }
        var masked = plan.Mask.unsqueeze(-1);
        return Patches.Unpatchify(where(masked, predicted, original), patch, channels);
    }

    public void Dispose() { }
}
