using SdAE.Host.Bench;
using SdAE.Host.Config;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

/// <summary>`sdae bench-cost`: SdAE vs MAE step time and multi-fold vs one-pass teacher cost, as ratios from one run.</summary>
public sealed class BenchCostCommand : Command<BenchSettings>
{
    public override int Execute(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Experiment))
            throw new UserError($"experiment file not found: {settings.Experiment}", "check the path.");
        var root = ExperimentLoader.Parse(settings.Experiment, File.ReadAllText(settings.Experiment));
        var timings = CostBenchmark.Run(settings.Experiment, root, settings.Steps, settings.Batch, settings.Device, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"));
        var table = new Table().AddColumn("what").AddColumn(new TableColumn("median ms").RightAligned());
        foreach (var timing in timings) table.AddRow(timing.Name, $"{timing.MedianMs:F1}");
        AnsiConsole.Write(table);
        double Ms(string name) => timings.Single(t => t.Name == name).MedianMs;
        Console.WriteLine($"SdAE / MAE training-step time: {Ms("SdAE training step") / Ms("MAE training step"):F2}");
        Console.WriteLine($"multi-fold teacher / one-pass teacher time: {Ms("teacher, K folds (batched)") / Ms("teacher, one pass over all masked"):F2}");
        return 0;
    }
}
