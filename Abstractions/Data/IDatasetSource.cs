using SdAE.Abstractions.Plugins;

namespace SdAE.Abstractions.Data;

public enum DataSplit
{
    Train,
    Test,
}

/// <summary>What the host asks a dataset plugin for, besides the plugin's own options.</summary>
public sealed record DataRequest
{
    /// <summary>The square side the experiment trains at; 0: the images' own (uniform) size.</summary>
    public int ImageSize { get; init; }
    /// <summary>Where the plugin reports long work (listing a large folder) and warnings.</summary>
    public IProgressReporter Progress { get; init; } = NullProgressReporter.Instance;
}

/// <summary>
/// The dataset plugin contract (`data: { type: ... }`): where a run's images come from. The host
/// turns what <see cref="Open"/> returns into training batches: it decodes every image once (in
/// parallel, into a cache when reading is expensive), resizes to the experiment's image size,
/// normalises, and augments.
/// </summary>
public interface IDatasetSource
{
    /// <summary>One split, or null when the source has none (an unlabelled folder has no test split).</summary>
    IImageSource? Open(DataSplit split, DataRequest request);
}

/// <summary>The images of one split as a plugin reads them: square uint8 pixels and optional labels.</summary>
public interface IImageSource : IDisposable
{
    /// <summary>Names the split in messages and cache files, e.g. "cifar10/train".</summary>
    string Name { get; }
    int Count { get; }
    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    int Channels { get; }
    /// <summary>The side of every image <see cref="Read"/> writes.</summary>
    int Size { get; }
    /// <summary>Class names in label order; empty for an unlabelled set.</summary>
    IReadOnlyList<string> ClassNames { get; }
    /// <summary>Each image's label (an index into <see cref="ClassNames"/>); empty for an unlabelled set.</summary>
    IReadOnlyList<int> Labels { get; }
    /// <summary>Per-channel mean and std (pixel values in [0, 1]) published for this set, or null: the host computes them from the training split.</summary>
    (float[] Mean, float[] Std)? KnownNormalization { get; }
    /// <summary>
    /// Identifies the decoded pixels (files, their sizes and times, decoding options) when reading is
    /// expensive enough to cache: the host keeps a decoded copy under this key and decodes again
    /// when it changes. Null when the pixels are already in memory.
    /// </summary>
    string? CacheKey { get; }
    /// <summary>
    /// Writes image <paramref name="index"/> as uint8, channel-major (C x Size x Size), into
    /// <paramref name="destination"/>. Safe to call from several threads. Throws
    /// <see cref="UnreadableImageException"/> for one bad file (the host may skip it).
    /// </summary>
    void Read(int index, Span<byte> destination);
}

/// <summary>One image that cannot be decoded; the host skips it with a warning, up to a limit.</summary>
public sealed class UnreadableImageException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;
}

/// <summary>Data a user must fix (a missing folder, a file of the wrong length): one line naming the path, and the fix.</summary>
public sealed class DataSourceException(string message, string fix) : Exception(message)
{
    public string Fix { get; } = fix;
}
