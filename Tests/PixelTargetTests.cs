using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class PixelTargetTests
{
    [Test]
    public void LossIgnoresVisiblePatchesAndSeesMaskedOnes()
    {
        using var scope = NewDisposeScope();
        using var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 1, Heads = 2, Patch = 7 }, new PluginContext { ImageSize = 28, Channels = 1 });
        var target = new PixelTarget(new PixelTargetOptions());
        target.Attach(encoder);
        using var generator = new Generator(2);
        var plan = new RandomMasking(new RandomMaskingOptions()).Sample(2, encoder.Grid, generator);
        var images = randn(2, 1, 28, 28);
        var targets = target.ComputeTargets(images, plan);
        var prediction = randn(2, 16, target.PredictionWidth(encoder));
        var loss = target.Loss(prediction, targets, plan).Loss.item<float>();

        var visibleChanged = prediction.clone();
        var visible = plan.VisibleIds![0, 0].item<long>();
        visibleChanged[0, visible] = visibleChanged[0, visible] + 100;
        Assert.That(target.Loss(visibleChanged, targets, plan).Loss.item<float>(), Is.EqualTo(loss));

        var maskedChanged = prediction.clone();
        var masked = plan.MaskedIds![0, 0].item<long>();
        maskedChanged[0, masked] = maskedChanged[0, masked] + 100;
        Assert.That(target.Loss(maskedChanged, targets, plan).Loss.item<float>(), Is.GreaterThan(loss + 1));
    }

    [Test]
    public void NormPixStandardisesEachPatch()
    {
        using var scope = NewDisposeScope();
        var patches = randn(3, 5, 12) * 4 + 2;
        var (normalised, _, _) = Patches.Standardise(patches);
        Assert.That(normalised.mean([-1]).abs().max().item<float>(), Is.LessThan(1e-5));
        Assert.That((normalised.var(-1, unbiased: true) - 1).abs().max().item<float>(), Is.LessThan(1e-3));
    }

    [Test]
    public void ReconstructionKeepsVisiblePatchesAndUndoesNormPix()
    {
        using var scope = NewDisposeScope();
        using var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 1, Heads = 2, Patch = 7 }, new PluginContext { ImageSize = 28, Channels = 1 });
        var target = new PixelTarget(new PixelTargetOptions { NormPix = true });
        target.Attach(encoder);
        using var generator = new Generator(4);
        var plan = new RandomMasking(new RandomMaskingOptions()).Sample(1, encoder.Grid, generator);
        var images = randn(1, 1, 28, 28);
        // A perfect prediction of the normalised targets reconstructs the image exactly.
        var perfect = target.ComputeTargets(images, plan);
        Assert.That(target.Reconstruct(perfect, images, plan).allclose(images, atol: 1e-4), Is.True);
    }
}
