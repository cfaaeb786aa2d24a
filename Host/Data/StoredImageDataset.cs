using SdAE.Abstractions.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// A split as training sees it: decoded uint8 pixels (in memory or a mapped cache) gathered per
/// batch, converted to float, resized to the image size if the store holds another, and normalised.
/// Unlabelled sets have <see cref="ClassCount"/> 0 and every label -1. Owns its store.
/// </summary>
public sealed class StoredImageDataset : IImageDataset, IDisposable
{
    readonly PixelStore store;
    readonly Tensor mean;
    readonly Tensor std;

    public StoredImageDataset(string name, PixelStore store, long[] labels, IReadOnlyList<string> classNames, float[] mean, float[] std, int imageSize)
    {
        if (labels.Length != store.Count)
            throw new ArgumentException($"{store.Count} images but {labels.Length} labels");
        Name = name;
        this.store = store;
        ClassNames = classNames;
        Labels = tensor(labels).DetachFromDisposeScope();
        Normalization = (mean, std);
        this.mean = tensor(mean).view(1, -1, 1, 1).DetachFromDisposeScope();
        this.std = tensor(std).view(1, -1, 1, 1).DetachFromDisposeScope();
        ImageSize = imageSize > 0 ? imageSize : store.Size;
    }

    public string Name { get; }
    public long Count => store.Count;
    public int Channels => store.Channels;
    public int ImageSize { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int ClassCount => ClassNames.Count;
    public bool IsLabelled => ClassCount > 0;
    public Tensor Labels { get; }
    public (float[] Mean, float[] Std) Normalization { get; }

    /// <summary>uint8 [B, C, S, S] pixels as stored, for int64 indices [B].</summary>
    public Tensor Pixels(Tensor indices)
    {
        var wanted = indices.to_type(ScalarType.Int64).data<long>().ToArray();
        var bytes = new byte[wanted.Length * store.ImageBytes];
        store.Gather(wanted, bytes);
        return tensor(bytes, [wanted.Length, store.Channels, store.Size, store.Size], ScalarType.Byte);
    }

    public Tensor Images(Tensor indices)
    {
        using var scope = NewDisposeScope();
        var batch = Pixels(indices).to_type(ScalarType.Float32).div_(255f);
        if (ImageSize != store.Size)
            batch = nn.functional.interpolate(batch, [ImageSize, ImageSize], mode: InterpolationMode.Bilinear, align_corners: false);
        return batch.sub_(mean).div_(std).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        store.Dispose();
        Labels.Dispose();
        mean.Dispose();
        std.Dispose();
    }
}
