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
/// against one variant as the baseline (the zoo's MAE), so machine load cancels in the ratio as far
/// as it is steady. Variants that do not pre-train (epochs: 0) are left out.
/// </summary>
public static class SweepCostBenchmark
{
    public static IReadOnlyList<VariantCost> Run(string file, string baselineVariant, int steps, int? batchOverride, string? deviceOverride, Action<string> info)
    {
        var sweep = SweepDefinition.Load(file);
        var firstOfEach = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)).GroupBy(r => r.Run.Variant).Select(g => g.First()).ToList();
        if (firstOfEach.All(r => r.Run.Variant != baselineVariant))
            throw new UserError($"{file}: --baseline '{baselineVariant}' is not one of its variants ({string.Join(", ", firstOfEach.Select(r => r.Run.Variant))}).",
                "name a variant of the sweep, e.g. --baseline mae.");
        var timed = new List<(string Variant, double MedianMs, int Batch)>();
        foreach (var (run, experiment) in firstOfEach.Where(r => r.Experiment.Pretrain.Epochs > 0))
        {
            using var loaded = ExperimentLoader.Bind(sweep.File, run.Experiment, extra => Plugins.PluginCatalog.LoadDefault(extra));
            using var inputs = BenchmarkInputs.Load(loaded, batchOverride, deviceOverride, info);
            var computeType = PrecisionSettings.Apply(loaded.Experiment.Precision, inputs.Device);
            using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, inputs.Context);
            var timing = CostBenchmark.TimeSteps(run.Variant, model, loaded.Experiment.Pretrain, computeType, inputs.Images, steps);
            info($"{run.Variant}: {timing.MedianMs:F1} ms per step (batch {inputs.Batch})");
            timed.Add((run.Variant, timing.MedianMs, inputs.Batch));
        }
        double baseline = timed.Single(t => t.Variant == baselineVariant).MedianMs;
        return timed.Select(t => new VariantCost(t.Variant, t.MedianMs, t.Batch / (t.MedianMs / 1000), t.MedianMs / baseline)).ToList();
    }
}
