using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Plugins;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// Turns what a dataset plugin opens into the datasets training and evaluation use: decoded once
/// (into the cache when the plugin gives a cache key), limited, labelled, and normalised with the
/// statistics the experiment gives, the set publishes, or the training split yields (computed once, cached).
/// </summary>
public static class ImageSets
{
    /// <summary>The dataset plugin a `data` or `eval_data` section names; an ArgumentException from it is reported at the section's line.</summary>
    public static IDatasetSource Source(PluginCatalog catalog, PluginSpec section, PluginContext context) =>
        section.Guard(() => catalog.Create<IDatasetSource>(section.Type, section.Options, context));

    /// <summary>The source's training split at the options' image size, nothing decoded yet; every data section needs one.</summary>
    public static IImageSource OpenTraining(IDatasetSource source, DataOptions options, IProgressReporter progress) =>
        source.Open(DataSplit.Train, Request(options, progress)) ??
            throw new UserError("the data source has no training split.", "point data (and eval_data) at a set with training images.");

    static DataRequest Request(DataOptions options, IProgressReporter progress) => new() { ImageSize = options.ImageSize, Progress = progress };

    /// <summary>The training and (when the source has one) test split of a data section; the test split uses the training split's normalisation.</summary>
    public static (StoredImageDataset Train, StoredImageDataset? Test) Load(IDatasetSource source, DataOptions options, string cacheFolder, IProgressReporter progress)
    {
        using var trainSource = OpenTraining(source, options, progress);
        var train = Load(trainSource, options, options.TrainLimit, cacheFolder, normalization: null, progress);
        try
        {
            using var testSource = source.Open(DataSplit.Test, Request(options, progress));
            var test = testSource is null ? null : Load(testSource, options, options.TestLimit, cacheFolder, train.Normalization, progress);
            return (train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>data.cache_dir, else the output folder's shared cache (runs of one output folder decode a folder once).</summary>
    public static string CacheFolder(Experiment experiment, DataOptions options) =>
        options.CacheDir.Length > 0 ? options.CacheDir : Path.Combine(experiment.Output, ".cache", "data");

    public static StoredImageDataset Load(IImageSource source, DataOptions options, int limit, string cacheFolder,
        (float[] Mean, float[] Std)? normalization, IProgressReporter progress)
    {
        if (source.Count == 0)
            throw new UserError($"{source.Name} has no images.", "point data at a set with images.");
        PixelStore store;
        string? indexPath = null;
        if (source.CacheKey is null)
        {
            var pixels = new byte[(long)source.Count * source.Channels * source.Size * source.Size];
            int imageBytes = source.Channels * source.Size * source.Size;
            var outcome = ImageDecoding.DecodeAll(source, source.Count, index => pixels.AsSpan(index * imageBytes, imageBytes),
                options.WorkerCount, options.MaxUnreadable, progress);
            store = new MemoryPixelStore(pixels, source.Channels, source.Size, outcome.Kept);
        }
        else
        {
            (store, indexPath) = DecodedCache.Open(source, cacheFolder, options.WorkerCount, options.MaxUnreadable, progress);
        }
        try
        {
            if (limit > 0 && limit < store.Count) store = store.First(limit);
            var labels = source.ClassNames.Count == 0
                ? Enumerable.Repeat(-1L, store.Count).ToArray()
                : store.Kept.Select(i => (long)source.Labels[i]).ToArray();
            var (mean, std) = Normalization(source, options, store, indexPath, normalization, progress);
            return new StoredImageDataset(source.Name, store, labels, source.ClassNames, mean, std, options.ImageSize);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The experiment's mean/std if it gives them, else the set's published ones, else those measured over the training split (kept in the cache index).</summary>
    static (float[] Mean, float[] Std) Normalization(IImageSource source, DataOptions options, PixelStore store, string? indexPath,
        (float[] Mean, float[] Std)? fromTraining, IProgressReporter progress)
    {
        if (options.Mean.Length > 0)
        {
            if (options.Mean.Length != source.Channels)
                throw new UserError($"data.mean has {options.Mean.Length} values but {source.Name} has {source.Channels} channel{(source.Channels == 1 ? "" : "s")}.", $"give {source.Channels} values to data.mean and data.std.");
            return (options.Mean, options.Std);
        }
        if (fromTraining is { } given) return given;
        if (source.KnownNormalization is { } known) return known;
        var index = indexPath is null ? null : DecodedCache.ReadIndex(indexPath);
        if (index is { Mean: { } cachedMean, Std: { } cachedStd }) return (cachedMean, cachedStd);
        var measured = Measure(store);
        progress.Info($"{source.Name}: normalisation measured over {store.Count} training images: mean [{string.Join(", ", measured.Mean.Select(m => m.ToString("0.####")))}], " +
            $"std [{string.Join(", ", measured.Std.Select(s => s.ToString("0.####")))}]{(index is null ? "" : " (kept in the cache)")}");
        if (index is not null) DecodedCache.WriteIndex(indexPath!, index with { Mean = measured.Mean, Std = measured.Std });
        return measured;
    }

    /// <summary>Per-channel mean and std of pixel values in [0, 1] over every stored image (float32 per chunk, float64 across chunks).</summary>
    public static (float[] Mean, float[] Std) Measure(PixelStore store)
    {
        const int Chunk = 64;
        var sum = new double[store.Channels];
        var squares = new double[store.Channels];
        var bytes = new byte[Chunk * store.ImageBytes];
        for (int first = 0; first < store.Count; first += Chunk)
        {
            int count = Math.Min(Chunk, store.Count - first);
            store.Gather(Enumerable.Range(first, count).Select(i => (long)i).ToArray(), bytes);
            using var scope = NewDisposeScope();
            var values = tensor(bytes, [Chunk, store.Channels, store.Size * store.Size], ScalarType.Byte).narrow(0, 0, count).to_type(ScalarType.Float32).div_(255f);
            var channelSums = values.sum([0, 2]).data<float>().ToArray();
            var channelSquares = values.mul_(values).sum([0, 2]).data<float>().ToArray();
            for (int c = 0; c < store.Channels; c++) { sum[c] += channelSums[c]; squares[c] += channelSquares[c]; }
        }
        double n = (double)store.Count * store.Size * store.Size;
        var mean = sum.Select(s => s / n).ToArray();
        var std = squares.Select((s, c) => Math.Sqrt(Math.Max(s / n - mean[c] * mean[c], 1e-12))).ToArray();
        return ([.. mean.Select(m => (float)m)], [.. std.Select(s => (float)Math.Max(s, 1e-3))]);
    }
}
