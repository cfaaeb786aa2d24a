using SdAE.Training.Layers;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Targets;
using static TorchSharp.torch;

using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class VisionTransformerTests
{
    [Test]
    public void SinCosEmbeddingMatchesAHandComputedCase()
    {
        // width 8 on a 2x3 grid: quarter = 2, omegas 1 and 1/100.
        using var embedding = SinCosPositionEmbedding.Create(8, new GridSize(2, 3));
        var values = embedding.data<float>().ToArray();
        Assert.That(values[..8], Is.All.EqualTo(0f), "cls slot is zero");
        // token 5 = row 1, column 2
        var token5 = values[((1 + 5) * 8)..((2 + 5) * 8)];
        double[] expected = [Math.Sin(2), Math.Sin(0.02), Math.Cos(2), Math.Cos(0.02), Math.Sin(1), Math.Sin(0.01), Math.Cos(1), Math.Cos(0.01)];
        Assert.That(token5, Is.EqualTo(expected.Select(v => (float)v)).Within(1e-6));
    }

    [TestCase(ViTPreset.Micro, 64)]
    [TestCase(ViTPreset.Tiny, 192)]
    [TestCase(ViTPreset.Small, 384)]
    [TestCase(ViTPreset.Base, 768)]
    public void EncoderOutputShapesForEveryPreset(ViTPreset preset, int width)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var encoder = new VisionTransformer(new ViTOptions { Preset = preset, Patch = 7 }, new PluginContext { ImageSize = 28, Channels = 3 });
        var images = randn(2, 3, 28, 28);
        Assert.That(encoder.EncodeAll(images).shape, Is.EqualTo(new long[] { 2, 17, width }));
        var visible = tensor(new long[] { 0, 5, 9, 1, 2, 3 }).view(2, 3);
        Assert.That(encoder.EncodeVisible(images, visible).shape, Is.EqualTo(new long[] { 2, 4, width }));
        Assert.That(encoder.Features(images, FeaturePooling.Mean).shape, Is.EqualTo(new long[] { 2, width }));
    }

    [Test]
    public void MaskTokenModeEncodesAllTokensAndUsesTheMask()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 1, Heads = 2, Patch = 7, MaskToken = true }, new PluginContext { ImageSize = 28, Channels = 1 });
        encoder.eval();
        var images = randn(1, 1, 28, 28);
        var none = zeros(1, 16, ScalarType.Bool);
        var some = none.clone();
        some[0, 3] = tensor(true);
        Assert.That(encoder.EncodeWithMaskToken(images, none).shape, Is.EqualTo(new long[] { 1, 17, 32 }));
        Assert.That(encoder.EncodeWithMaskToken(images, none).allclose(encoder.EncodeAll(images), atol: 1e-5), Is.True);
        Assert.That(encoder.EncodeWithMaskToken(images, some).allclose(encoder.EncodeAll(images), atol: 1e-5), Is.False);
    }

    [Test]
    public void PatchThatDoesNotDivideTheImageIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new VisionTransformer(new ViTOptions { Patch = 5 }, new PluginContext { ImageSize = 28, Channels = 1 }));
    }

    [Test]
    public void LayerIndicesForLayerDecay()
    {
        using var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 7 }, new PluginContext { ImageSize = 28, Channels = 1 });
        var names = encoder.named_parameters().Select(p => p.name).ToList();
        Assert.That(encoder.LayerIndexOf("patch_embed.weight"), Is.EqualTo(0));
        Assert.That(encoder.LayerIndexOf("cls_token"), Is.EqualTo(0));
        Assert.That(encoder.LayerIndexOf("blocks.1.attn.qkv.weight"), Is.EqualTo(2));
        Assert.That(encoder.LayerIndexOf("norm.weight"), Is.EqualTo(3));
        Assert.That(names, Does.Contain("blocks.1.attn.qkv.weight").And.Contain("norm.weight").And.Contain("patch_embed.weight"));
    }

    [Test]
    public void PatchifyLayoutAndRoundTrip()
    {
        using var scope = NewDisposeScope();
        var images = arange(2 * 3 * 4 * 4, dtype: ScalarType.Float32).view(2, 3, 4, 4);
        var patches = Patches.Patchify(images, 2);
        Assert.That(patches.shape, Is.EqualTo(new long[] { 2, 4, 12 }));
        // first patch of image 0: (row 0, col 0, channel 0..2), (row 0, col 1, ...) ... channel fastest
        float[] expected = [0, 16, 32, 1, 17, 33, 4, 20, 36, 5, 21, 37];
        Assert.That(patches[0, 0].data<float>().ToArray(), Is.EqualTo(expected));
        Assert.That(Same(Patches.Unpatchify(patches, 2, 3), images), Is.True);
    }
}
