using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Sweeps;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>One variant's training step: median milliseconds, images per second, and its ratio to the baseline variant's step.</summary>
public sealed record VariantCost(string Variant, double MedianMs, double ImagesPerSecond, double VersusBaseline);

/// <summary>
/// Each pre-training variant of a sweep (its first grid point) timed as a full training step
/// (masking, forward, backward, AdamW) on the same batch of real images, in one process, and set
/// against one variant as the baseline (the zoo's MAE). The variants' steps are interleaved (one step
/// of each in turn, every round), so a change in the machine's speed during the benchmark falls on
/// every variant alike instead of on whichever was being timed. Variants that do not pre-train
/// (epochs: 0) are left out.
/// </summary>
public static class SweepCostBenchmark
{
    sealed class Measured(string variant, LoadedExperiment loaded, BenchmarkInputs inputs, PretrainingModel model, TrainingStepLoop loop) : IDisposable
    {
        public string Variant => variant;
        public int Batch => inputs.Batch;
        public TrainingStepLoop Loop => loop;
        public List<double> Samples { get; } = [];

        public void Dispose()
        {
            loop.Dispose();
            model.Dispose();
            inputs.Dispose();
            loaded.Dispose();
        }
    }

    public static IReadOnlyList<VariantCost> Run(string file, string baselineVariant, int steps, int? batchOverride, string? deviceOverride, Action<string> info)
    {
        var sweep = SweepDefinition.Load(file);
        var firstOfEach = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)).GroupBy(r => r.Run.Variant).Select(g => g.First()).ToList();
        if (firstOfEach.All(r => r.Run.Variant != baselineVariant))
            throw new UserError($"{file}: --baseline '{baselineVariant}' is not one of its variants ({string.Join(", ", firstOfEach.Select(r => r.Run.Variant))}).",
                "name a variant of the sweep, e.g. --baseline mae.");
        var pretraining = firstOfEach.Where(r => r.Experiment.Pretrain.Epochs > 0).ToList();
        if (pretraining.All(r => r.Run.Variant != baselineVariant))
            throw new UserError($"{file}: --baseline '{baselineVariant}' does not pre-train (pretrain.epochs is 0), so it has no training step to compare with.",
                $"name a variant that pre-trains: {string.Join(", ", pretraining.Select(r => r.Run.Variant))}.");
        var measured = new List<Measured>();
        var infoOnce = SayEachLineOnce(info);
        try
        {
            foreach (var (run, _) in pretraining)
                measured.Add(Prepare(sweep.File, run, steps, batchOverride, deviceOverride, infoOnce));
            info($"timing {measured.Count} variants, one step of each in turn, {steps} rounds after {CostBenchmark.WarmUpRepetitions} warm-up rounds");
            for (int round = 0; round < steps + CostBenchmark.WarmUpRepetitions; round++)
                foreach (var variant in measured)
                {
                    double ms = CostBenchmark.TimeOnce(variant.Loop.Step);
                    if (round >= CostBenchmark.WarmUpRepetitions) variant.Samples.Add(ms);
                }
            var medians = measured.ToDictionary(m => m.Variant, m => CostBenchmark.Median(m.Samples));
            double baseline = medians[baselineVariant];
            return measured.Select(m => new VariantCost(m.Variant, medians[m.Variant], m.Batch / (medians[m.Variant] / 1000), medians[m.Variant] / baseline)).ToList();
        }
        finally
        {
            foreach (var variant in measured) variant.Dispose();
        }
    }

    /// <summary>One variant bound, its batch loaded and its model built; what was built is disposed if a later piece fails.</summary>
    static Measured Prepare(string file, SweepRun run, int steps, int? batchOverride, string? deviceOverride, Action<string> info)
    {
        var loaded = ExperimentLoader.Bind(file, run.Experiment, extra => Plugins.PluginCatalog.LoadDefault(extra));
        BenchmarkInputs? inputs = null;
        PretrainingModel? model = null;
        try
        {
            inputs = BenchmarkInputs.Load(loaded, batchOverride, deviceOverride, info);
            var computeType = PrecisionSettings.Apply(loaded.Experiment.Precision, inputs.Device);
            model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, inputs.Context);
            return new Measured(run.Variant, loaded, inputs, model,
                new TrainingStepLoop(model, loaded.Experiment.Pretrain, computeType, inputs.Images, steps + CostBenchmark.WarmUpRepetitions));
        }
        catch
        {
            model?.Dispose();
            inputs?.Dispose();
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Variants that share a device and data print the same loading lines; each is printed once.</summary>
    static Action<string> SayEachLineOnce(Action<string> info)
    {
        var said = new HashSet<string>();
        return line =>
        {
            if (said.Add(line)) info(line);
        };
    }
}
