using SdAE.Abstractions.Distributed;
using System.Diagnostics;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>
/// The allreduce data-parallel training does once per step, timed over the ranks mpirun or srun
/// started: for each experiment, a float32 buffer the size of its trainable parameters (the flat
/// gradient buffer), summed in place across the ranks, averaged the way training averages it.
/// </summary>
public static class AllReduceBenchmark
{
    public sealed record Timing(string Experiment, long Parameters, double MedianMs, double MinMs)
    {
        public double MiB => Parameters * 4 / 1048576.0;
        /// <summary>Bytes of the buffer per second of allreduce ("algorithm bandwidth").</summary>
        public double GBPerSecond => Parameters * 4 / (MedianMs / 1000) / 1e9;
    }

    public static IReadOnlyList<Timing> Run(ICollectives ranks, IReadOnlyList<string> experiments, Device device, int repeats)
    {
        var timings = new List<Timing>();
        foreach (var file in experiments)
        {
            long parameters = TrainableParameters(file);
            using var buffer = ones(parameters, device: device);
            var times = new List<double>();
            for (int i = -3; i < repeats; i++)
            {
                ranks.Barrier();
                var clock = Stopwatch.StartNew();
                ranks.AllReduceSum(buffer);
                buffer.div_(ranks.Size);
                if (device.type == DeviceType.CUDA) cuda.synchronize(device);
                if (i >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            timings.Add(new Timing(Path.GetFileNameWithoutExtension(file), parameters, times[times.Count / 2], times[0]));
        }
        return timings;
    }

    /// <summary>What the optimizer updates in the experiment's model, built on the CPU for single-channel images of its data's size.</summary>
    static long TrainableParameters(string file)
    {
        using var loaded = ExperimentLoader.Load(file);
        var experiment = loaded.Experiment;
        int size = experiment.DataOptions.ImageSize > 0 ? experiment.DataOptions.ImageSize : 28;
        using var model = PretrainingModel.Build(experiment, loaded.Catalog, new PluginContext { ImageSize = size, Channels = 1, Device = CPU });
        return model.TrainableParameters().Sum(p => p.Parameter.numel());
    }
}
