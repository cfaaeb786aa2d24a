using System.ComponentModel;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class RunSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENT>"), Description("Path to the experiment's YAML file.")]
    public string Experiment { get; init; } = "";

    [CommandOption("--stop-after <EPOCHS>"), Description("Stop after this many completed epochs (a checkpoint is written); run again to resume.")]
    public int? StopAfter { get; init; }

    public override ValidationResult Validate() =>
        StopAfter is <= 0 ? ValidationResult.Error("--stop-after must be a positive number of epochs") : ValidationResult.Success();
}

public sealed class RunCommand : Command<RunSettings>
{
    public override int Execute(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment);
        var outcome = ConsoleTrainingDisplay.Run(display => new Pretrainer(loaded, display, settings.StopAfter).Run());
        if (outcome.Heads.Count > 0) ResultsTable.Print(loaded.Experiment.Name, outcome);
        return 0;
    }
}

/// <summary>The printed summary of a run's evaluations.</summary>
public static class ResultsTable
{
    public static void Print(string experiment, RunOutcome outcome)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(experiment)}[/] ({Markup.Escape(outcome.Folder.Path)})")
            .AddColumn("protocol").AddColumn(new TableColumn("top-1").RightAligned()).AddColumn("settings").AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var head in outcome.Heads)
            table.AddRow(Markup.Escape(head.Type), $"{head.Result.Top1:P2}",
                Markup.Escape(string.Join(", ", head.Settings.Select(s => $"{s.Key}={s.Value}"))), $"{head.Seconds:F1}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"pre-training: {outcome.TrainSeconds:F0} s, {outcome.ImagesPerSecond:F0} images/s; results: {outcome.Folder.ResultsPath}");
    }
}
