using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;
using TorchSharp;
using static TorchSharp.torch;

using SdAE.Host.Engine;

namespace SdAE.Host.Commands;

/// <summary>
/// `sdae validate` beyond the file: opens the data (its shape only, nothing decoded), builds every
/// plugin and the model on the CPU, draws one mask plan and runs one forward pass of the target's
/// loss, so a plugin-level problem is reported at its section without running anything.
/// </summary>
public static class ExperimentCheck
{
    public sealed record DataShape(string Name, int Count, int ImageSize, int Channels, int ClassCount);

    public static DataShape Run(LoadedExperiment loaded)
    {
        var experiment = loaded.Experiment;
        var shape = Shape(loaded, experiment.Data!);
        if (experiment.EvalData is { } evalData) Shape(loaded, evalData);
        var context = new PluginContext { ImageSize = shape.ImageSize, Channels = shape.Channels, ClassCount = shape.ClassCount, Seed = experiment.Seed, Device = CPU };
        using (var model = PretrainingModel.Build(experiment, loaded.Catalog, context))
            model.Check(experiment, context);
        foreach (var head in experiment.Eval)
            head.Guard(() => loaded.Catalog.Create<IDownstreamHead>(head.Type, head.Options, context));
        return shape;
    }

    /// <summary>The plugin context a model of this experiment is built with, from the data's shape (nothing decoded).</summary>
    public static PluginContext ContextFor(LoadedExperiment loaded, torch.Device device)
    {
        var shape = Shape(loaded, loaded.Experiment.Data!);
        return new PluginContext { ImageSize = shape.ImageSize, Channels = shape.Channels, ClassCount = shape.ClassCount, Seed = loaded.Experiment.Seed, Device = device };
    }

    /// <summary>The training split's size, side, channels and classes, read without decoding the images.</summary>
    static DataShape Shape(LoadedExperiment loaded, PluginSpec section)
    {
        var options = section.DataOptions;
        var source = ImageSets.Source(loaded.Catalog, section, new PluginContext { Seed = loaded.Experiment.Seed });
        using var train = ImageSets.OpenTraining(source, options, NullProgressReporter.Instance);
        return new DataShape(train.Name, train.Count, options.ImageSize > 0 ? options.ImageSize : train.Size, train.Channels, train.ClassNames.Count);
    }
}
