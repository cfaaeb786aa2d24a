using System.ComponentModel;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Reports;
using SdAE.Training.Distributed;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class RunSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENT>"), Description("Path to the experiment's YAML file.")]
    public string Experiment { get; init; } = "";

    [CommandArgument(1, "[OVERRIDES]"), Description("key.path=value ... : change the file's keys (YAML values), e.g. pretrain.epochs=1 masking.ratio=0.6.")]
    public string[] Overrides { get; init; } = [];

    [CommandOption("--stop-after <EPOCHS>"), Description("Stop after this many completed epochs (a checkpoint is written); run again to resume.")]
    public int? StopAfter { get; init; }

    [CommandOption("--verbose"), Description("List every setting of every head in the results table, not only those that differ from the head's defaults.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        StopAfter is <= 0 ? ValidationResult.Error("--stop-after must be a positive number of epochs") : ValidationResult.Success();
}

public sealed class RunCommand : Command<RunSettings>
{
    public override int Execute(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment, settings.Overrides);
        using var stop = StopSignal.Listen();
        if (LaunchEnvironment.Rank > 0)
        {
            // another rank of a data-parallel run: the same work as rank 0, which alone reports and writes
            using var rank = new Pretrainer(loaded, SilentTrainingDisplay.Instance, settings.StopAfter, stop).Run();
            return rank.Stopped && stop.Requested ? stop.ExitCode : 0;
        }
        using var outcome = ConsoleTrainingDisplay.Run(display =>
        {
            var trained = new Pretrainer(loaded, display, settings.StopAfter, stop).Run();
            if (!stop.Requested) RunReports.Write(trained, display, loaded.Experiment.Figures);
            return trained;
        });
        if (outcome.Stopped && stop.Requested) return stop.ExitCode;
        if (outcome.Heads.Count > 0) ResultsTable.Print(loaded.Experiment.Name, outcome, settings.Verbose);
        return 0;
    }
}
