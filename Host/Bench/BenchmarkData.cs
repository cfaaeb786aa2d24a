using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;

namespace SdAE.Host.Bench;

/// <summary>The training split of an experiment's data section, as a benchmark reads it (decoded through the same cache as a run).</summary>
public static class BenchmarkData
{
    /// <summary>The training split, its first <paramref name="limit"/> images (0: all), decoded through <paramref name="cacheFolder"/> (default the run's cache).</summary>
    public static StoredImageDataset TrainingSplit(LoadedExperiment loaded, IProgressReporter progress, int limit = 0, string? cacheFolder = null)
    {
        var experiment = loaded.Experiment;
        var section = experiment.Data!;
        var source = ImageSets.Source(loaded.Catalog, section, new PluginContext { Seed = experiment.Seed, Progress = progress });
        var options = section.DataOptions;
        using var split = ImageSets.OpenTraining(source, options, progress);
        return ImageSets.Load(split, options, limit, cacheFolder ?? ImageSets.CacheFolder(experiment, options), normalization: null, progress);
    }
}

/// <summary>Progress as plain lines through a message callback (benchmarks).</summary>
public sealed class ConsoleProgress(Action<string> info) : IProgressReporter
{
    public void Info(string message) => info(message);
    public void Report(string task, long done, long total, string? detail = null)
    {
        if (done == total) info($"{task}: {done}/{total}" + (detail is null ? "" : $"  {detail}"));
    }
}
