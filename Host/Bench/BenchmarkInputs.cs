using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Bench;

/// <summary>What a benchmark runs on: the experiment's device and one batch of its real training images.</summary>
public sealed class BenchmarkInputs : IDisposable
{
    BenchmarkInputs(Device device, Tensor images, PluginContext context)
    {
        Device = device;
        Images = images;
        Context = context;
    }

    public Device Device { get; }
    public Tensor Images { get; }
    public PluginContext Context { get; }
    public int Batch => (int)Images.shape[0];

    public static BenchmarkInputs Load(LoadedExperiment loaded, int? batchOverride, string? deviceOverride, Action<string> info)
    {
        var experiment = loaded.Experiment;
        if (experiment.Threads > 0) set_num_threads(experiment.Threads);
        var device = DeviceSelector.Resolve(deviceOverride ?? experiment.Device, info);
        int batch = batchOverride ?? experiment.Pretrain.Batch;
        using var data = BenchmarkData.TrainingSplit(loaded, new ConsoleProgress(info), limit: batch);
        var images = data.Images(arange(Math.Min(batch, data.Count), dtype: ScalarType.Int64)).to(device).DetachFromDisposeScope();
        var context = new PluginContext { ImageSize = data.ImageSize, Channels = data.Channels, ClassCount = data.ClassCount, Seed = experiment.Seed, Device = device };
        return new BenchmarkInputs(device, images, context);
    }

    public void Dispose() => Images.Dispose();
}
