using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Plugins;
using SdAE.Host.Runs;
using SdAE.Training.Distributed;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>
/// What training and evaluation of one experiment share: device, data, the plugin context.
/// Pre-training reads `data`; the heads read `eval_data` when the experiment has one (pre-train on
/// an unlabelled folder, evaluate on a labelled set), else `data`.
/// </summary>
public sealed class RunEnvironment : IDisposable
{
    readonly List<StoredImageDataset> owned;

    RunEnvironment(torch.Device device, List<StoredImageDataset> owned, StoredImageDataset train, StoredImageDataset? test,
        StoredImageDataset evalTrain, StoredImageDataset evalTest, PluginContext context)
    {
        this.owned = owned;
        Device = device;
        Train = train;
        Test = test;
        EvalTrain = evalTrain;
        EvalTest = evalTest;
        Context = context;
    }

    public torch.Device Device { get; }
    /// <summary>Pre-training images.</summary>
    public StoredImageDataset Train { get; }
    /// <summary>The pre-training set's test split, if it has one.</summary>
    public StoredImageDataset? Test { get; }
    /// <summary>Images pre-training never trains on when there are any (pictures, health probes): the test split, else the training split.</summary>
    public StoredImageDataset HeldOut => Test ?? Train;
    /// <summary>The labelled sets the evaluation heads train and test on.</summary>
    public StoredImageDataset EvalTrain { get; }
    public StoredImageDataset EvalTest { get; }
    public PluginContext Context { get; }

    public static RunEnvironment Open(Experiment experiment, PluginCatalog catalog, RunFolder folder, ITrainingDisplay display)
    {
        if (experiment.Threads > 0) torch.set_num_threads(experiment.Threads);
        else if (LaunchEnvironment.SlurmCpusPerTask is { } cpus) torch.set_num_threads(cpus);   // a Slurm task sees every core of the node, not just its own
        else if (LaunchEnvironment.LocalRanks > 1)   // ranks on one machine share its cores
            torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / LaunchEnvironment.LocalRanks));
        // the other ranks of this run, and whatever Slurm placed beside a job, are expected company
        foreach (var (pid, command) in LaunchEnvironment.Ranks is null && !LaunchEnvironment.UnderSlurm ? SharedMachine.OtherSdaeProcesses() : [])
            display.Info($"note: another sdae process shares this machine (pid {pid}: {command}); both run slower, and timings taken now are not comparable. " +
                $"threads: {Math.Max(1, Environment.ProcessorCount / 2)} in each experiment splits the {Environment.ProcessorCount} cores between them.");
        var device = DeviceSelector.Resolve(experiment.Device, display.Info);
        var context = new PluginContext { Seed = experiment.Seed, Device = device, Files = folder.Files, Progress = display };
        var owned = new List<StoredImageDataset>();
        try
        {
            var (train, test) = LoadSection(experiment, experiment.Data!, catalog, context, display, owned);
            var (evalTrain, evalTest) = (train, test);
            if (experiment.EvalData is { } evalData)
            {
                var evalOptions = evalData.DataOptions;
                if (evalOptions.ImageSize == 0) evalOptions = evalOptions.WithImageSize(train.ImageSize);
                (evalTrain, evalTest) = LoadSection(experiment, evalData, catalog, context, display, owned, evalOptions);
                if (evalTrain.Channels != train.Channels)
                    throw new UserError($"eval_data has {evalTrain.Channels} channels but data has {train.Channels}: the encoder cannot read both.",
                        "use sets with the same channels (image_folder's channels: 1 makes grayscale).");
            }
            if (experiment.Eval.Count > 0) RequireLabelledSplits(experiment, evalTrain, evalTest);
            foreach (var perClass in experiment.Eval.Select(h => h.LabelsPerClass).Where(n => n > 0).Distinct())
                BalancedSubset.Require(evalTrain, perClass);
            context = context with { ImageSize = train.ImageSize, Channels = train.Channels, ClassCount = evalTrain.ClassCount };
            return new RunEnvironment(device, owned, train, test, evalTrain, evalTest!, context);
        }
        catch
        {
            foreach (var set in owned) set.Dispose();
            throw;
        }
    }

    static (StoredImageDataset Train, StoredImageDataset? Test) LoadSection(Experiment experiment, PluginSpec section, PluginCatalog catalog,
        PluginContext context, ITrainingDisplay display, List<StoredImageDataset> owned, DataOptions? options = null)
    {
        options ??= section.DataOptions;
        var source = ImageSets.Source(catalog, section, context);
        var (train, test) = ImageSets.Load(source, options, ImageSets.CacheFolder(experiment, options), display);
        owned.Add(train);
        if (test is not null) owned.Add(test);
        return (train, test);
    }

    static void RequireLabelledSplits(Experiment experiment, StoredImageDataset train, StoredImageDataset? test)
    {
        var heads = string.Join(", ", experiment.Eval.Select(h => h.Label).Distinct());
        var section = experiment.EvalData is null ? "data" : "eval_data";
        if (!train.IsLabelled)
            throw new UserError($"the evaluation heads ({heads}) need labels, but {train.Name} is unlabelled.",
                "add an eval_data section with a labelled set (e.g. eval_data: { type: image_folder, root: labelled/ }), or remove the eval list.");
        if (test is null)
            throw new UserError($"the evaluation heads ({heads}) need a test split, but {section} has none.",
                $"give {section} a val/ folder or set {section}.val_fraction (e.g. 0.1).");
    }

    public void Dispose()
    {
        foreach (var set in owned) set.Dispose();
    }
}
