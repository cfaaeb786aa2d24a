using SdAE.Abstractions.Data;

namespace SdAE.Plugins.Datasets;

/// <summary>A split already decoded into memory (IDX, CIFAR): images as uint8, channel-major, one after another.</summary>
public sealed class InMemoryImageSource(string name, byte[] pixels, int channels, int size, int[] labels,
    IReadOnlyList<string> classNames, (float[] Mean, float[] Std)? knownNormalization) : IImageSource
{
    readonly int imageBytes = channels * size * size;

    public string Name => name;
    public int Count => labels.Length;
    public int Channels => channels;
    public int Size => size;
    public IReadOnlyList<string> ClassNames => classNames;
    public IReadOnlyList<int> Labels => labels;
    public (float[] Mean, float[] Std)? KnownNormalization => knownNormalization;
    public string? CacheKey => null;

    public void Read(int index, Span<byte> destination) =>
        pixels.AsSpan(index * imageBytes, imageBytes).CopyTo(destination);

    public void Dispose() { }
}
