using SdAE.Training;
using System.Diagnostics;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>One optimizer's training-step measurement.</summary>
public sealed record StepTiming(string Optimizer, double MedianMs, double ImagesPerSecond, double EstimatedTflops, double? GpuMemoryMiB);

/// <summary>
/// Times full pre-training steps (masking, forward, backward, clipping, optimizer) of an experiment
/// on its device, once with each optimizer implementation, in one process, on the same batch of
/// real images. FLOPs are estimated as 2 x parameters x tokens per linear layer plus attention's
/// 4 x n^2 x width per block (x3 for a training step; the teacher's forward once).
/// </summary>
public static class StepBenchmark
{
    /// <param name="optimizers">The optimizer implementations to time; default every one.</param>
    public static IReadOnlyList<StepTiming> Run(LoadedExperiment loaded, int steps, int? batchOverride, string? deviceOverride, Action<string> info,
        IReadOnlyList<OptimizerKind>? optimizers = null)
    {
        var experiment = loaded.Experiment;
        using var inputs = BenchmarkInputs.Load(loaded, batchOverride, deviceOverride, info);
        var (device, images, context) = (inputs.Device, inputs.Images, inputs.Context);
        info($"{experiment.Name}: batch {images.shape[0]} on {device}, median of {steps} steps after 3 warm-up steps");

        var computeType = PrecisionSettings.Apply(experiment.Precision, device);
        info($"precision {OptionProperties.FormatValue(experiment.Precision)}");
        var timings = new List<StepTiming>();
        foreach (var kind in optimizers ?? Enum.GetValues<OptimizerKind>())
        {
            using var model = PretrainingModel.Build(experiment, loaded.Catalog, context);
            var pretrain = new PretrainOptions
            {
                Optimizer = kind, Betas = experiment.Pretrain.Betas, WeightDecay = experiment.Pretrain.WeightDecay, ClipGrad = experiment.Pretrain.ClipGrad,
            };
            using var optimizer = model.CreateOptimizer(pretrain);
            using var generator = new Generator(0);
            model.Train(true);
            var samples = new List<double>();
            double flops = 0;
            for (int i = 0; i < steps + 3; i++)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                var plan = model.SamplePlan((int)images.shape[0], generator, images).To(device);
                var output = model.TrainStep(images, plan, optimizer, 1e-4, computeType, pretrain.ClipGrad, new TrainingProgress { TotalEpochs = 1, CompletedSteps = i + 1, TotalSteps = steps + 3 });
                if (device.type == DeviceType.CUDA) cuda.synchronize();
                else output.Loss.Loss.item<float>();
                if (i >= 3) samples.Add(clock.Elapsed.TotalMilliseconds);
                if (i == 0) flops = EstimateFlops(model, plan);
            }
            samples.Sort();
            double median = samples[samples.Count / 2];
            double? gpuMemory = device.type == DeviceType.CUDA ? GpuMemory.UsedMiB(device.index) : null;
            timings.Add(new StepTiming(OptionProperties.FormatValue(kind), median, images.shape[0] / (median / 1000), flops / (median / 1000) / 1e12, gpuMemory));
        }
        return timings;
    }

    static double EstimateFlops(PretrainingModel model, Abstractions.Masking.MaskPlan plan)
    {
        long batch = plan.BatchSize;
        long encoderTokens = model.Input == EncoderInput.MaskTokens ? plan.Grid.Count + 1 : plan.VisibleIds!.shape[1] + 1;
        double student = batch * Forward(model.Encoder, encoderTokens);
        if (model.Decoder is not null)
            student += batch * 2.0 * Parameters(model.Decoder) * (plan.Grid.Count + 1);
        double teacher = 0;
        if (model.Target is ITeacherProvider provider && plan.Folds is { } folds)
            teacher = batch * folds.shape[1] * Forward(provider.Teacher, folds.shape[2] + 1);
        return 3 * student + teacher;
    }

    static double Forward(EncoderModule encoder, long tokens) =>
        2.0 * Parameters(encoder) * tokens + 4.0 * tokens * tokens * encoder.Width * encoder.Depth;

    static long Parameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>Peak resident memory of this process in MiB.</summary>
    public static double PeakRssMiB() => Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
}
