using SdAE.Host.Bench;
using SdAE.Host.Config;
using Spectre.Console;
using Spectre.Console.Cli;
using System.ComponentModel;

namespace SdAE.Host.Cli;

/// <summary>
/// `sdae bench-cost`: SdAE vs MAE step time and multi-fold vs one-pass teacher cost, as ratios from
/// one run; given a sweep file, each pre-training variant's step against the --baseline variant's.
/// </summary>
public sealed class BenchCostCommand : Command<BenchCostSettings>
{
    public override int Execute(CommandContext context, BenchCostSettings settings, CancellationToken cancellationToken)
    {
        var root = Parse(settings.Experiment);
        if (root.Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode("sweep")))
            return SweepCosts(settings);
        var baseline = Parse(settings.Baseline);
        var timings = CostBenchmark.Run(settings.Experiment, root, baseline, settings.Steps, settings.Batch, settings.Device, Info);
        var table = new Table().AddColumn("what").AddColumn(new TableColumn("median ms").RightAligned());
        foreach (var timing in timings) table.AddRow(timing.Name, $"{timing.MedianMs:F1}");
        AnsiConsole.Write(table);
        double Ms(string name) => timings.Single(t => t.Name == name).MedianMs;
        Console.WriteLine($"SdAE / MAE training-step time: {Ms("SdAE training step") / Ms("MAE training step"):F2}");
        Console.WriteLine($"multi-fold teacher / one-pass teacher time: {Ms("teacher, K folds (batched)") / Ms("teacher, one pass over all masked"):F2}");
        return 0;
    }

    /// <summary>A sweep file: every pre-training variant's step against the --baseline variant's.</summary>
    static int SweepCosts(BenchCostSettings settings)
    {
        var costs = SweepCostBenchmark.Run(settings.Experiment, settings.Baseline, settings.Steps, settings.Batch, settings.Device, Info);
        var table = new Table().AddColumn("variant").AddColumn(new TableColumn("median ms per step").RightAligned())
            .AddColumn(new TableColumn("images/s").RightAligned()).AddColumn(new TableColumn($"step / {settings.Baseline}'s").RightAligned());
        foreach (var cost in costs) table.AddRow(cost.Variant, $"{cost.MedianMs:F1}", $"{cost.ImagesPerSecond:F0}", $"{cost.VersusBaseline:F2}");
        AnsiConsole.Write(table);
        return 0;
    }

    static void Info(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");

    static YamlDotNet.RepresentationModel.YamlMappingNode Parse(string file) => File.Exists(file)
        ? ExperimentLoader.Parse(file, File.ReadAllText(file))
        : throw new UserError($"experiment file not found: {file}", "check the path.");
}

public sealed class BenchCostSettings : BenchSettings
{
    [CommandOption("--baseline <MAE_EXPERIMENT>"), Description("The MAE experiment to compare with: its masking and target replace the SdAE experiment's (e.g. experiments/mae_vit-micro_fmnist.yaml); for a sweep file, the variant to compare with (e.g. mae).")]
    public string Baseline { get; init; } = "";

    public override ValidationResult Validate() =>
        Baseline.Length == 0 ? ValidationResult.Error("--baseline is required: the MAE experiment to compare with, e.g. --baseline experiments/mae_vit-micro_fmnist.yaml") : base.Validate();
}
