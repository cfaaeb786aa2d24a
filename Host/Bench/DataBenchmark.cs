using SdAE.Training;
using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Engine;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>Images/s of one stage of the data path or of training.</summary>
public sealed record DataPathTiming(string Stage, long Images, double Seconds)
{
    public double ImagesPerSecond => Images / Math.Max(Seconds, 1e-9);
}

/// <summary>
/// The data path alone against the training step, in one process: cold (every training image
/// decoded into a fresh cache, as a first run does), warm (batches gathered from the cache,
/// converted, resized, normalised and augmented as the training loop prepares them, one thread),
/// and the experiment's training step on the same batch size.
/// </summary>
public static class DataBenchmark
{
    public static IReadOnlyList<DataPathTiming> Run(LoadedExperiment loaded, int batches, int steps, bool cold, Action<string> info)
    {
        var experiment = loaded.Experiment;
        var options = experiment.DataOptions;
        int batch = experiment.Pretrain.Batch;
        var progress = new ConsoleProgress(info);
        var timings = new List<DataPathTiming>();
        if (experiment.Threads > 0) set_num_threads(experiment.Threads);

        if (cold)
        {
            var freshCache = Path.Combine(experiment.Output, ".cache", $"bench-data-{Guid.NewGuid():N}");
            try
            {
                var clock = Stopwatch.StartNew();
                using var decoded = BenchmarkData.TrainingSplit(loaded, progress, options.TrainLimit, freshCache);
                timings.Add(new DataPathTiming($"cold: decode into the cache ({options.WorkerCount} workers)", decoded.Count, clock.Elapsed.TotalSeconds));
            }
            finally
            {
                if (Directory.Exists(freshCache)) Directory.Delete(freshCache, recursive: true);
            }
        }

        using var train = BenchmarkData.TrainingSplit(loaded, progress, options.TrainLimit);
        var augmentation = new Augmentation(options.Augment);
        var random = new Random(0);
        long perEpoch = Math.Max(1, train.Count / batch);
        using (var order = EpochBatches.Permutation(train.Count, experiment.Seed, epoch: 0))
        {
            var warm = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                augmentation.Apply(train.Images(order.narrow(0, b % perEpoch * batch, Math.Min(batch, train.Count))), random);
            }
            timings.Add(new DataPathTiming("warm: batches from the cache (gather, convert, normalise, augment; 1 thread)", (long)batches * Math.Min(batch, train.Count), warm.Elapsed.TotalSeconds));
        }

        var step = StepBenchmark.Run(loaded, steps, batchOverride: null, deviceOverride: null, info, [experiment.Pretrain.Optimizer]).Single();
        timings.Add(new DataPathTiming($"training step ({experiment.Backbone!.Type}, {experiment.Target!.Type}, {OptionProperties.FormatValue(step.Optimizer)})", batch, step.MedianMs / 1000));
        return timings;
    }
}
