using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Runs;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>What training and evaluation of one experiment share: device, data, the plugin context.</summary>
public sealed class RunEnvironment : IDisposable
{
    RunEnvironment(torch.Device device, InMemoryImageDataset train, InMemoryImageDataset test, PluginContext context)
    {
        Device = device;
        Train = train;
        Test = test;
        Context = context;
    }

    public torch.Device Device { get; }
    public InMemoryImageDataset Train { get; }
    public InMemoryImageDataset Test { get; }
    public PluginContext Context { get; }

    public static RunEnvironment Open(Experiment experiment, RunFolder folder, ITrainingDisplay display)
    {
        if (experiment.Threads > 0) torch.set_num_threads(experiment.Threads);
        var device = DeviceSelector.Resolve(experiment.Device, display.Info);
        var train = MnistDatasets.Load(experiment.Data, MnistDatasets.Split.Train);
        var test = MnistDatasets.Load(experiment.Data, MnistDatasets.Split.Test);
        // before any training: a label budget the data cannot meet would otherwise fail at the first evaluation
        try
        {
            foreach (var perClass in experiment.Eval.Select(h => h.LabelsPerClass).Where(n => n > 0).Distinct())
                BalancedSubset.Require(train, perClass);
        }
        catch
        {
            train.Dispose();
            test.Dispose();
            throw;
        }
        var context = new PluginContext
        {
            ImageSize = train.ImageSize,
            Channels = train.Channels,
            ClassCount = train.ClassCount,
            Seed = experiment.Seed,
            Device = device,
            Files = folder.Files,
            Progress = display,
        };
        return new RunEnvironment(device, train, test, context);
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
