using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using static TorchSharp.torch;

namespace SdAE.Tests.Conformance;

/// <summary>Every decoder: built for an encoder width, a grid and an output width, it maps visible tokens to one prediction per patch.</summary>
public class DecoderConformance
{
    static IEnumerable<TestCaseData> Decoders() =>
        from factory in RegisteredPlugins.Catalog.OfKind(PluginKind.Decoder)
        from widths in new[] { (Encoder: 32, Output: 13), (Encoder: 48, Output: 1) }
        select new TestCaseData(factory.Name, widths.Encoder, widths.Output);

    [TestCaseSource(nameof(Decoders))]
    public void MapsToTheRequestedWidthForEveryPatch(string name, int encoderWidth, int outputWidth)
    {
        var builder = RegisteredPlugins.Create<IDecoderBuilder>(PluginKind.Decoder, name);
        using var decoder = builder.Build(new DecoderShape(encoderWidth, new GridSize(7, 7), outputWidth));
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var restore = stack([randperm(49, generator: generator), randperm(49, generator: generator)]);
        var encoded = randn(2, 1 + 12, encoderWidth).requires_grad_();
        var prediction = decoder.Decode(encoded, restore);
        Assert.That(prediction.shape, Is.EqualTo(new long[] { 2, 49, outputWidth }), name);
        prediction.square().mean().backward();
        Assert.That(encoded.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), $"{name}: the prediction depends on the encoded tokens");
    }
}
