using SdAE.Abstractions.Data;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>A labelled set of random images in memory (label = index mod classes), normalised to about zero mean and unit std.</summary>
public sealed class ProbeImages : IImageDataset, IDisposable
{
    readonly Tensor images;

    public ProbeImages(int count, int seed, int channels = 1, int imageSize = 28, int classes = 10)
    {
        using var generator = new Generator((ulong)seed);
        images = rand([count, channels, imageSize, imageSize], generator: generator).sub_(0.5).div_(0.29).DetachFromDisposeScope();
        Labels = arange(count, dtype: ScalarType.Int64).remainder(classes).DetachFromDisposeScope();
        (Name, Channels, ImageSize, ClassCount) = ($"probe-{seed}", channels, imageSize, classes);
        Normalization = ([.. Enumerable.Repeat(0.5f, channels)], [.. Enumerable.Repeat(0.29f, channels)]);
    }

    public string Name { get; }
    public long Count => images.shape[0];
    public int Channels { get; }
    public int ImageSize { get; }
    public int ClassCount { get; }
    public Tensor Labels { get; }
    public (float[] Mean, float[] Std) Normalization { get; }

    public Tensor Images(Tensor indices) => images.index_select(0, indices);

    public void Dispose()
    {
        images.Dispose();
        Labels.Dispose();
    }
}
