using SdAE.Training;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>SimMIM takes no options: its parts are fixed by the paper (raw pixels, a linear head, L1 on masked pixels).</summary>
public sealed class SimMimOptions;

/// <summary>
/// SimMIM's target (plugin `simmim`, Xie et al. 2022): the encoder sees every patch, masked ones
/// replaced by its mask token; a one-layer linear head maps each patch token to the patch's raw
/// (normalised, not per-patch standardised) pixels; the loss is the L1 distance over the masked
/// patches' pixels only: the sum over masked pixels and channels divided by (masked pixels + 1e-5)
/// and by the channel count, as the paper's code reduces it. Pair with `random_block` masking.
/// </summary>
[UsesEncoderInput(EncoderInput.MaskTokens)]
public sealed class SimMimTarget : IReconstructionTarget, IPixelReconstruction
{
    Linear? head;
    int patch;
    int channels;

    public nn.Module? TrainableModule => head;

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        patch = student.PatchSize;
        channels = student.Channels;
        head = nn.Linear(student.Width, patch * patch * channels);   // PyTorch's default init, as the paper's 1x1 convolution
    }

    /// <summary>The patchified normalised images [B, L, p*p*C].</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        return Patches.Patchify(images, patch);
    }

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var pixels = Predict(prediction);
        var weight = plan.Mask.unsqueeze(-1).to_type(pixels.dtype);
        var maskedPixels = weight.sum() * (patch * patch);
        return new TargetLoss(((pixels - targets).abs() * weight).sum() / (maskedPixels + 1e-5) / channels);
    }

    /// <summary>The head's pixels per patch [B, L, p*p*C] from the encoder's patch tokens.</summary>
    Tensor Predict(Tensor tokens) => (head ?? throw new InvalidOperationException("the target is not attached to a student yet")).forward(MixedPrecision.Full(tokens));

    public Tensor Reconstruct(Tensor prediction, Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        var original = Patches.Patchify(images, patch);
        return Patches.Unpatchify(where(plan.Mask.unsqueeze(-1), Predict(prediction), original), patch, channels);
    }

    public void Dispose() => head?.Dispose();
}
