using SdAE.Host.Commands;
using System.ComponentModel;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Reports;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class EvalSettings : CommandSettings
{
    [CommandArgument(0, "<RUN_DIR>"), Description("A run folder (runs/<experiment>/<run>) with config.resolved.yaml and a checkpoint.")]
    public string RunDirectory { get; init; } = "";

    [CommandOption("--heads <TYPES>"), Description("Comma-separated head types with default options (e.g. knn,linear_probe,finetune); default: the run's eval list.")]
    public string? Heads { get; init; }

    [CommandOption("--encoder <WHICH>"), Description("student or teacher (for --heads; the eval list says its own).")]
    [DefaultValue("student")]
    public string Encoder { get; init; } = "student";

    public override ValidationResult Validate() =>
        Encoder is "student" or "teacher" ? ValidationResult.Success() : ValidationResult.Error("--encoder must be student or teacher");
}

/// <summary>`sdae eval`: evaluates an existing run's checkpoint without pre-training again.</summary>
public sealed class EvalCommand : Command<EvalSettings>
{
    public override int Execute(CommandContext context, EvalSettings settings, CancellationToken cancellationToken)
    {
        var folder = CheckpointEvaluation.RequireEvaluableRun(settings.RunDirectory);
        using var loaded = ExperimentLoader.Load(folder.ConfigPath);
        var heads = settings.Heads is null
            ? loaded.Experiment.Eval
            : HeadSpecs.FromNames(loaded, settings.Heads, Enum.Parse<EvalEncoder>(settings.Encoder, ignoreCase: true));
        using var outcome = ConsoleTrainingDisplay.Run(display =>
        {
            var evaluated = CheckpointEvaluation.Run(loaded, folder, heads, display);
            RunReports.Write(evaluated, display, loaded.Experiment.Figures);
            return evaluated;
        });
        ResultsTable.Print(loaded.Experiment.Name, outcome);
        return 0;
    }
}
