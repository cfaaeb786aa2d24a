using SdAE.Abstractions.Models;
using SdAE.Training;
using System.Diagnostics;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using TorchSharp;
using YamlDotNet.RepresentationModel;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>One timed quantity: median milliseconds over the measured repetitions.</summary>
public sealed record Timing(string Name, double MedianMs, int Repetitions);

/// <summary>
/// SdAE's cost against MAE on the same backbone, in one process on one device: a full training
/// step of each (forward, backward, AdamW), and the teacher's forward over K short fold sequences
/// against one pass over all masked tokens. Real images from the experiment's data are used.
/// </summary>
public static class CostBenchmark
{
    /// <summary>Untimed repetitions before the measured ones (allocator, caches, lazy initialisation).</summary>
    public const int WarmUpRepetitions = 2;

    /// <param name="baselineRoot">An MAE experiment: only its masking and target sections are used.</param>
    public static IReadOnlyList<Timing> Run(string file, YamlMappingNode root, YamlMappingNode baselineRoot, int steps, int? batchOverride, string? deviceOverride, Action<string> info)
    {
        var sdaeRoot = root;
        var maeRoot = YamlOverlay.Apply(root, BaselineOverlay(baselineRoot));
        using var sdae = ExperimentLoader.Bind(file, sdaeRoot, extra => Plugins.PluginCatalog.LoadDefault(extra));
        using var mae = ExperimentLoader.Bind(file, maeRoot, extra => Plugins.PluginCatalog.LoadDefault(extra));
        if (!typeof(ITeacherProvider).IsAssignableFrom(sdae.Experiment.Target!.Factory.ImplementationType))
            throw new UserError($"{file}: the cost benchmark compares an SdAE experiment (a target with a teacher) against MAE; target '{sdae.Experiment.Target.Type}' has no teacher.",
                "pass an experiment whose target has a teacher encoder.");

        var experiment = sdae.Experiment;
        using var inputs = BenchmarkInputs.Load(sdae, batchOverride, deviceOverride, info);
        var (device, images, context) = (inputs.Device, inputs.Images, inputs.Context);
        info($"batch {images.shape[0]} on {device.type.ToString().ToLowerInvariant()}, {steps} measured repetitions each (after {WarmUpRepetitions} warm-up)");

        var computeType = PrecisionSettings.Apply(experiment.Precision, device);
        var timings = new List<Timing>();
        using (var model = PretrainingModel.Build(mae.Experiment, mae.Catalog, context))
            timings.Add(TimeSteps("MAE training step", model, mae.Experiment.Pretrain, computeType, images, steps));
        using (var model = PretrainingModel.Build(experiment, sdae.Catalog, context))
        {
            timings.Add(TimeSteps("SdAE training step", model, experiment.Pretrain, computeType, images, steps));
            var teacher = ((ITeacherProvider)model.Target).Teacher;
            using var generator = new Generator(1);
            var plan = model.SamplePlan((int)images.shape[0], generator, images).To(device);
            timings.Add(Time("teacher, K folds (batched)", steps, () =>
            {
                using var autocast = MixedPrecision.Autocast(computeType);
                return model.Target.ComputeTargets(images, plan);
            }));
            timings.Add(Time("teacher, one pass over all masked", steps, () =>
            {
                using var _ = no_grad();
                using var autocast = MixedPrecision.Autocast(computeType);
                return teacher.EncodeVisible(images, plan.MaskedIds!);
            }));
        }
        return timings;
    }

    /// <summary>The MAE twin: same backbone, decoder and optimisation as the SdAE experiment; the baseline's masking and target; no evaluation.</summary>
    static YamlMappingNode BaselineOverlay(YamlMappingNode baselineRoot)
    {
        var overlay = YamlOverlay.Parse("{ eval: [] }");
        foreach (var section in new[] { "masking", "target" })
            overlay.Children[new YamlScalarNode(section)] = baselineRoot.Children.TryGetValue(new YamlScalarNode(section), out var node)
                ? node
                : throw new UserError($"the baseline experiment has no '{section}' section.", "pass an MAE experiment file as --baseline.");
        return overlay;
    }

    /// <summary>Full training steps of <paramref name="model"/> on <paramref name="images"/>, a fresh plan each.</summary>
    public static Timing TimeSteps(string name, PretrainingModel model, PretrainOptions pretrain, ScalarType? computeType, Tensor images, int steps)
    {
        using var loop = new TrainingStepLoop(model, pretrain, computeType, images, steps + WarmUpRepetitions);
        return Time(name, steps, loop.Step);
    }

    static Timing Time(string name, int repetitions, Func<Tensor> work)
    {
        var samples = new List<double>();
        for (int i = 0; i < repetitions + WarmUpRepetitions; i++)
        {
            double ms = TimeOnce(work);
            if (i >= WarmUpRepetitions) samples.Add(ms);
        }
        return new Timing(name, Median(samples), repetitions);
    }

    /// <summary>Milliseconds of one call of <paramref name="work"/>, until its result is computed on the device.</summary>
    public static double TimeOnce(Func<Tensor> work)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var result = work();
        if (result.device.type == DeviceType.CUDA) cuda.synchronize();
        else result.sum().item<float>();
        return clock.Elapsed.TotalMilliseconds;
    }

    public static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}

/// <summary>Training steps of one model (masking, forward, backward, its optimizer), a fresh mask plan each; disposing frees the optimizer.</summary>
public sealed class TrainingStepLoop(PretrainingModel model, PretrainOptions pretrain, ScalarType? computeType, Tensor images, int totalSteps) : IDisposable
{
    readonly IParameterOptimizer optimizer = model.CreateOptimizer(pretrain);
    readonly Generator generator = new(0);
    long step;

    public Tensor Step()
    {
        model.Train(true);
        var plan = model.SamplePlan((int)images.shape[0], generator, images).To(images.device);
        var progress = new TrainingProgress { TotalEpochs = 1, CompletedSteps = ++step, TotalSteps = totalSteps };
        return model.TrainStep(images, plan, optimizer, 1e-4, computeType, pretrain.ClipGrad, progress).Loss.Loss;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        generator.Dispose();
    }
}
