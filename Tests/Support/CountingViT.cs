using SdAE.Abstractions.Models;
using SdAE.Plugins.Backbones;
using static TorchSharp.torch;

namespace SdAE.Tests.Support;

/// <summary>A ViT that counts the batches it encodes and the batch sizes its dense features are asked for; its same-shape copies count too.</summary>
public sealed class CountingViT : EncoderModule
{
    readonly VisionTransformer inner;

    public CountingViT(VisionTransformer inner) : base("counting")
    {
        this.inner = inner;
        RegisterComponents();
    }

    /// <summary>Batches through <see cref="EncodeTokens"/>.</summary>
    public int Batches { get; private set; }

    /// <summary>The batch size of each <see cref="DenseFeatures"/> call.</summary>
    public List<long> DenseBatches { get; } = [];

    public override int Width => inner.Width;
    public override int Depth => inner.Depth;
    public override int PatchSize => inner.PatchSize;
    public override int Channels => inner.Channels;
    public override int ImageSize => inner.ImageSize;
    public override Tensor EmbedPatches(Tensor images) => inner.EmbedPatches(images);
    public override Tensor EncodeTokens(Tensor patchTokens)
    {
        Batches++;
        return inner.EncodeTokens(patchTokens);
    }
    public override Tensor EncodeWithMaskToken(Tensor images, Tensor mask) => inner.EncodeWithMaskToken(images, mask);
    public override int LayerIndexOf(string parameterName) => inner.LayerIndexOf(parameterName);
    public override EncoderModule CreateSameShape(double? dropPath = null) => new CountingViT((VisionTransformer)inner.CreateSameShape(dropPath));
    public override bool HasDenseFeatures => inner.HasDenseFeatures;
    public override IReadOnlyList<Tensor> DenseFeatures(Tensor images, IReadOnlyList<int> blocks)
    {
        DenseBatches.Add(images.shape[0]);
        return inner.DenseFeatures(images, blocks);
    }
}
