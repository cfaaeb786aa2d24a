using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Training;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

public sealed class HogTargetOptions
{
    [Range(1, 64), Description("HOG cell side in pixels; must divide the patch (MaskFeat: 8-pixel cells in 16-pixel patches; 2 in the micro ViT's 4).")]
    public int Cell { get; set; } = 2;

    [Range(2, 36), Description("Orientation bins over 0-180 degrees (MaskFeat: 9).")]
    public int Bins { get; set; } = 9;

    [Description("Local contrast normalisation: block (a channel's cells of a patch together, L2) or cell (each cell's histogram).")]
    public HogNormalization Normalize { get; set; } = HogNormalization.Block;
}

/// <summary>
/// MaskFeat's target (plugin `hog`, Wei et al. 2022): the encoder sees every patch, masked ones
/// replaced by its mask token; a linear head predicts each masked patch's HOG descriptor (computed
/// on the normalised input image, <see cref="Hog"/>); the loss is the mean squared error over the
/// descriptor, averaged over masked patches only. Pair with `blockwise` masking (MaskFeat: 40%).
/// </summary>
[UsesEncoderInput(EncoderInput.MaskTokens)]
public sealed class HogTarget(HogTargetOptions options) : IReconstructionTarget
{
    Linear? head;
    int patch;

    public nn.Module? TrainableModule => head;

    public int PredictionWidth(EncoderModule student) => student.Width;

    /// <summary>The descriptor's length per patch: channels x cells per patch x bins.</summary>
    public int DescriptorWidth(EncoderModule student) => student.Channels * (student.PatchSize / options.Cell) * (student.PatchSize / options.Cell) * options.Bins;

    public void Attach(EncoderModule student)
    {
        if (student.PatchSize % options.Cell != 0)
            throw new ArgumentException($"target.cell {options.Cell} does not divide the backbone's {student.PatchSize}-pixel patches; choose a divisor of the patch.");
        patch = student.PatchSize;
        head = nn.Linear(student.Width, DescriptorWidth(student));
        using var _ = no_grad();
        nn.init.normal_(head.weight!, std: 0.02);
        nn.init.zeros_(head.bias!);
    }

    /// <summary>HOG descriptors of every patch [B, L, descriptor width].</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        return Hog.PatchDescriptors(images, patch, options.Cell, options.Bins, options.Normalize);
    }

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var predicted = (head ?? throw new InvalidOperationException("the target is not attached to a student yet")).forward(MixedPrecision.Full(prediction));
        return new TargetLoss(PixelTarget.MaskedMean((predicted - targets).square().mean([-1]), plan.Mask));
    }

    public void Dispose() => head?.Dispose();
}
