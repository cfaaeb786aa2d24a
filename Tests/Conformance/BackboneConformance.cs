using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using static TorchSharp.torch;
using static SdAE.Tests.Support.TensorAssert;

namespace SdAE.Tests.Conformance;

/// <summary>Every backbone: the shapes of each encoding mode, gradients for every parameter, layer indices, copies.</summary>
public class BackboneConformance
{
    static IEnumerable<TestCaseData> Backbones() => RegisteredPlugins.OfKind(PluginKind.Backbone);

    [TestCaseSource(nameof(Backbones))]
    public void EncodesTheRightShapesAndEveryParameterGetsAGradient(string name)
    {
        using var encoder = RegisteredPlugins.Create<EncoderModule>(PluginKind.Backbone, name);
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var images = randn([2, 1, 28, 28], generator: generator);
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

    [TestCaseSource(nameof(Backbones))]
    public void EveryParameterHasALayerAndCopiesKeepTheWeights(string name)
    {
        using var encoder = RegisteredPlugins.Create<EncoderModule>(PluginKind.Backbone, name);
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
