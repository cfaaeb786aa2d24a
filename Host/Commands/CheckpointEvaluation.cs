using SdAE.Abstractions.Plugins;
using SdAE.Training;
using SdAE.Host.Config;
using SdAE.Host.Runs;

using SdAE.Host.Engine;

namespace SdAE.Host.Commands;

/// <summary>Evaluates a run's last checkpoint with a list of heads; results are merged into results.json.</summary>
public static class CheckpointEvaluation
{
    /// <summary>The run folder, if it holds a resolved config and a checkpoint; otherwise a user error saying which is missing.</summary>
    public static RunFolder RequireEvaluableRun(string path)
    {
        var folder = new RunFolder(path);
        if (!folder.HasConfig)
            throw new UserError($"{path} is not a run folder: it has no config.resolved.yaml.", "pass a folder under runs/<experiment>/, written by sdae run.");
        if (!folder.HasCheckpoint)
            throw new UserError($"{path} has no checkpoint ({folder.CheckpointPath}).", "run the experiment first (sdae run), or let it reach its first checkpoint.");
        return folder;
    }

    public static RunOutcome Run(LoadedExperiment loaded, RunFolder folder, IReadOnlyList<PluginSpec> heads, ITrainingDisplay display)
    {
        var experiment = loaded.Experiment;
        using var environment = RunEnvironment.Open(experiment, loaded.Catalog, folder, display);
        using var runLock = RunLock.Take(folder.Path, display.Info);
        CrashReport.RunFolder = folder.Path;
        using var model = PretrainingModel.Build(experiment, loaded.Catalog, environment.Context);
        var (header, from) = model.LoadWeights(folder, experiment.Pretrain, display.Info);
        display.Info($"evaluating {from} ({header.CompletedEpochs} of {experiment.Pretrain.Epochs} epochs)");
        var outcomes = Evaluator.For(loaded, environment, model).Run(heads);
        var previous = folder.HasResults
            ? folder.ReadResults()
            : new RunResults(experiment.Name, experiment.Run, experiment.Seed, experiment.Pretrain.Epochs, header.TrainSeconds, 0, []);
        folder.WriteResults(previous.With(outcomes));
        return new RunOutcome(folder, outcomes, [], header.TrainSeconds, 0);
    }
}

/// <summary>Head sections built from names on the command line, with default options.</summary>
public static class HeadSpecs
{
    public static IReadOnlyList<PluginSpec> FromNames(LoadedExperiment loaded, string names, EvalEncoder encoder) =>
        names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name =>
        {
            var factory = loaded.Catalog.Find(PluginKind.Head, name) ?? throw new UserError(
                $"unknown head '{name}'. Known: {string.Join(", ", loaded.Catalog.OfKind(PluginKind.Head).Select(f => f.Name))}.", "pass known head types to --heads.");
            return new PluginSpec { Kind = PluginKind.Head, Factory = factory, Options = Activator.CreateInstance(factory.OptionsType)!, Section = new HeadSection { Encoder = encoder } };
        }).ToList();
}
