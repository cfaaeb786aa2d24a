using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using static SdAE.Testing.TensorChecks;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>
/// A backbone's contract: the shapes of each encoding mode, a finite gradient for every parameter,
/// a layer index for every parameter, faithful copies and freshly initialised same-shape encoders.
/// </summary>
public abstract class BackboneConformance : PluginConformance
{
    protected abstract EncoderModule CreateBackbone();

    [Test]
    public void EncodesTheRightShapesAndEveryParameterGetsAGradient()
    {
        using var encoder = CreateBackbone();
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var images = randn([2, Context.Channels, Context.ImageSize, Context.ImageSize], generator: generator);
        long tokens = encoder.Grid.Count, width = encoder.Width;
        Assert.That(encoder.EncodeAll(images).shape, Is.EqualTo(new[] { 2, 1 + tokens, width }));
        var visible = arange(tokens).narrow(0, 0, tokens / 2).unsqueeze(0).expand(2, -1);
        Assert.That(encoder.EncodeVisible(images, visible).shape, Is.EqualTo(new[] { 2, 1 + tokens / 2, width }));
        Assert.That(encoder.Features(images, FeaturePooling.Cls).shape, Is.EqualTo(new[] { 2L, width }));
        Assert.That(encoder.Features(images, FeaturePooling.Mean).shape, Is.EqualTo(new[] { 2L, width }));

        var loss = encoder.EncodeAll(images).square().mean();
        if (encoder.HasMaskToken)
            loss = loss + encoder.EncodeWithMaskToken(images, rand([2, tokens], generator: generator).lt(0.5)).square().mean();
        loss.backward();
        var parameters = encoder.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.That(parameters, Is.Not.Empty);
        Assert.That(parameters.Where(p => p.parameter.grad is null).Select(p => p.name), Is.Empty, "parameters without a gradient");
        Assert.That(parameters.Where(p => !p.parameter.grad!.isfinite().all().item<bool>()).Select(p => p.name), Is.Empty, "non-finite gradients");
    }

    [Test]
    public void EveryParameterHasALayerAndCopiesKeepTheWeights()
    {
        using var encoder = CreateBackbone();
        foreach (var (parameter, _) in encoder.named_parameters())
            Assert.That(encoder.LayerIndexOf(parameter), Is.InRange(0, encoder.Depth + 1), parameter);
        using var copy = encoder.Copy();
        using var fresh = encoder.CreateSameShape();
        var original = encoder.state_dict();
        foreach (var (key, tensor) in copy.state_dict())
            Assert.That(Same(tensor, original[key]), Is.True, $"the copy's {key}");
        Assert.That(fresh.state_dict().Keys, Is.EquivalentTo(original.Keys));
        Assert.That(fresh.state_dict().Any(p => p.Value.numel() > 1 && !Same(p.Value, original[p.Key])), Is.True, "a same-shape encoder is newly initialised");
    }
}

/// <summary>A decoder's contract: built for an encoder width, a grid and an output width, it maps visible tokens to one prediction per patch, differentiably; the plan it says it predicts holds masked patches only.</summary>
public abstract class DecoderConformance : PluginConformance
{
    protected abstract IDecoderBuilder CreateDecoderBuilder();

    [TestCase(32, 13)]
    [TestCase(48, 1)]
    public void MapsToTheRequestedWidthForEveryPatch(int encoderWidth, int outputWidth)
    {
        using var decoder = CreateDecoderBuilder().Build(new DecoderShape(encoderWidth, new GridSize(7, 7), outputWidth));
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var restore = stack([randperm(49, generator: generator), randperm(49, generator: generator)]);
        var encoded = randn(2, 1 + 12, encoderWidth).requires_grad_();
        var prediction = decoder.Decode(encoded, restore);
        Assert.That(prediction.shape, Is.EqualTo(new long[] { 2, 49, outputWidth }));
        prediction.square().mean().backward();
        Assert.That(encoded.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), "the prediction depends on the encoded tokens");
    }

    [Test]
    public void ThePlanItPredictsHoldsMaskedPatchesOnlyInTrainingAndEvalMode()
    {
        using var decoder = CreateDecoderBuilder().Build(new DecoderShape(32, new GridSize(7, 7), 16));
        using var scope = NewDisposeScope();
        var plan = ProbePlans.MultiFold(2, new GridSize(7, 7));
        foreach (bool training in new[] { true, false })
        {
            decoder.train(training);
            var predicted = decoder.PredictedPlan(plan);
            string mode = training ? "training" : "eval";
            Assert.That(predicted.Grid, Is.EqualTo(plan.Grid));
            Assert.That(predicted.Mask.logical_and(plan.Mask.logical_not()).any().item<bool>(), Is.False, $"{mode}: only masked patches are predicted");
            Assert.That(predicted.Mask.sum([1]).min().item<long>(), Is.GreaterThan(0L), $"{mode}: every image has a predicted patch");
            Assert.That(Same(predicted.VisibleIds!, plan.VisibleIds!) && Same(predicted.RestoreIds!, plan.RestoreIds!), Is.True, $"{mode}: what the encoder saw is unchanged");
            Assert.That(predicted.Mask.gather(1, predicted.MaskedIds!).all().item<bool>(), Is.True, $"{mode}: masked ids and mask agree");
            Assert.That(predicted.MaskedIds!.shape[1], Is.EqualTo(predicted.Mask.sum([1])[0].item<long>()), $"{mode}: one id per predicted patch");
        }
    }
}
