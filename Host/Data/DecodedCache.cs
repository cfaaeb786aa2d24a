using System.IO.MemoryMappedFiles;
using System.Text.Json;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Runs;

namespace SdAE.Host.Data;

/// <summary>
/// The decoded copy of a split whose images are expensive to read (an image folder): on first use
/// every image is decoded once at the training size into `&lt;name&gt;-&lt;size&gt;px-&lt;key&gt;.pixels`
/// (uint8, one slot per source image) with an index file beside it; later epochs and runs map the
/// file instead of decoding again. The source's cache key names the file, so a changed folder gets a new one.
/// </summary>
public static class DecodedCache
{
    /// <summary>The index written beside the pixels, last, so its presence means the pixels are complete.</summary>
    public sealed record Index(string Source, int Count, int Channels, int Size, int[] Kept, string[] Skipped, float[]? Mean, float[]? Std);

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static (MappedPixelStore Store, string IndexPath) Open(IImageSource source, string folder, int workers, double maxUnreadable, IProgressReporter progress)
    {
        var stem = Path.Combine(folder, $"{Sanitize(source.Name)}-{source.Size}px-{source.Channels}c-{source.CacheKey![..16].ToLowerInvariant()}");
        var (pixelsPath, indexPath) = (stem + ".pixels", stem + ".json");
        long imageBytes = (long)source.Channels * source.Size * source.Size;
        if (ReadIndex(indexPath) is { } index && new FileInfo(pixelsPath) is { Exists: true } file && file.Length == index.Count * imageBytes)
        {
            progress.Info($"{source.Name}: {index.Kept.Length} decoded images from the cache {pixelsPath}");
            return (new MappedPixelStore(pixelsPath, source.Channels, source.Size, index.Kept), indexPath);
        }

        Directory.CreateDirectory(folder);
        RemoveStale(stem);
        progress.Info($"{source.Name}: decoding {source.Count} images once at {source.Size}x{source.Size} into {pixelsPath}");
        DecodeOutcome outcome = null!;
        AtomicFile.Write(pixelsPath, temporary => outcome = DecodeInto(temporary, source, imageBytes, workers, maxUnreadable, progress));
        WriteIndex(indexPath, new Index(source.Name, source.Count, source.Channels, source.Size, outcome.Kept, outcome.Skipped, null, null));
        return (new MappedPixelStore(pixelsPath, source.Channels, source.Size, outcome.Kept), indexPath);
    }

    static unsafe DecodeOutcome DecodeInto(string path, IImageSource source, long imageBytes, int workers, double maxUnreadable, IProgressReporter progress)
    {
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite)) stream.SetLength(Math.Max(1, source.Count * imageBytes));
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            byte* origin = start + view.PointerOffset;
            var outcome = ImageDecoding.DecodeAll(source, source.Count, index => new Span<byte>(origin + index * imageBytes, (int)imageBytes),
                workers, maxUnreadable, progress);
            view.Flush();
            return outcome;
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    public static Index? ReadIndex(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<Index>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }

    public static void WriteIndex(string path, Index index) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(index, Json));

    /// <summary>Older decodings of the same split at the same size: their folder has changed since.</summary>
    static void RemoveStale(string stem)
    {
        var folder = Path.GetDirectoryName(stem)!;
        var current = Path.GetFileName(stem);
        foreach (var old in Directory.EnumerateFiles(folder, current[..^16] + "*"))
            if (!Path.GetFileName(old).StartsWith(current, StringComparison.Ordinal) && (old.EndsWith(".pixels", StringComparison.Ordinal) || old.EndsWith(".json", StringComparison.Ordinal)))
                File.Delete(old);
    }

    static string Sanitize(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
