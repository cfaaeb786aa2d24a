using System.ComponentModel;
using SdAE.Host.Bench;
using SdAE.Host.Config;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class BenchDataSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENT>"), Description("The experiment whose data path and training step are measured.")]
    public string Experiment { get; init; } = "";

    [CommandOption("--batches <N>"), Description("Batches the warm data path prepares.")]
    [DefaultValue(100)]
    public int Batches { get; init; } = 100;

    [CommandOption("--steps <N>"), Description("Measured training steps (the median is reported).")]
    [DefaultValue(5)]
    public int Steps { get; init; } = 5;

    [CommandOption("--no-cold"), Description("Skip decoding the whole training split into a fresh cache.")]
    public bool NoCold { get; init; }

    public override ValidationResult Validate() =>
        Batches < 1 || Steps < 1 ? ValidationResult.Error("--batches and --steps must be at least 1") : ValidationResult.Success();
}

/// <summary>`sdae bench-data`: images/s of the data path (cold and warm) next to the training step's.</summary>
public sealed class BenchDataCommand : Command<BenchDataSettings>
{
    public override int Execute(CommandContext context, BenchDataSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment);
        var timings = DataBenchmark.Run(loaded, settings.Batches, settings.Steps, !settings.NoCold, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"));
        var step = timings[^1];
        var table = new Table().AddColumn("stage").AddColumn(new TableColumn("images").RightAligned())
            .AddColumn(new TableColumn("seconds").RightAligned()).AddColumn(new TableColumn("images/s").RightAligned()).AddColumn(new TableColumn("x training step").RightAligned());
        foreach (var t in timings)
            table.AddRow(Markup.Escape(t.Stage), $"{t.Images:N0}", $"{t.Seconds:F2}", $"{t.ImagesPerSecond:N0}", $"{t.ImagesPerSecond / step.ImagesPerSecond:F1}");
        AnsiConsole.Write(table);
        foreach (var t in timings)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { stage = t.Stage, images_per_second = Math.Round(t.ImagesPerSecond, 1), ratio_to_step = Math.Round(t.ImagesPerSecond / step.ImagesPerSecond, 2) }));
        return 0;
    }
}
