using System.ComponentModel;
using SdAE.Host.Bench;
using SdAE.Host.Config;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public class BenchSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENT>"), Description("The experiment whose training step is measured (for bench-cost: an SdAE experiment).")]
    public string Experiment { get; init; } = "";

    [CommandOption("--steps <N>"), Description("Measured repetitions of each timing (the median is reported).")]
    [DefaultValue(20)]
    public int Steps { get; init; } = 20;

    [CommandOption("--batch <B>"), Description("Batch size; default the experiment's.")]
    public int? Batch { get; init; }

    [CommandOption("--device <DEVICE>"), Description("auto, cpu, cuda or cuda:N; default the experiment's.")]
    public string? Device { get; init; }

    public override ValidationResult Validate() =>
        Steps < 1 ? ValidationResult.Error("--steps must be at least 1")
        : Batch is < 1 ? ValidationResult.Error("--batch must be at least 1")
        : ValidationResult.Success();
}

/// <summary>`sdae bench`: ms/step, images/s, estimated TFLOP/s and peak memory of an experiment's training step.</summary>
public sealed class BenchCommand : Command<BenchSettings>
{
    public override int Execute(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment);
        var timings = StepBenchmark.Run(loaded, settings.Steps, settings.Batch, settings.Device, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"));
        var table = new Table().AddColumn("optimizer").AddColumn(new TableColumn("ms/step").RightAligned())
            .AddColumn(new TableColumn("images/s").RightAligned()).AddColumn(new TableColumn("TFLOP/s (est.)").RightAligned());
        foreach (var t in timings) table.AddRow(t.Optimizer, $"{t.MedianMs:F1}", $"{t.ImagesPerSecond:F0}", $"{t.EstimatedTflops:F3}");
        AnsiConsole.Write(table);
        Console.WriteLine($"flat_adamw / adamw step time: {timings[1].MedianMs / timings[0].MedianMs:F2}");
        var gpuMemory = timings.Select(t => t.GpuMemoryMiB).Max();
        Console.WriteLine($"peak host RSS: {StepBenchmark.PeakRssMiB():F0} MiB; " +
            (gpuMemory is { } used ? $"GPU memory in use after the steps (NVML, device-wide, caching allocator's reserve included): {used:F0} MiB" : "GPU memory: not measured (no NVIDIA driver)"));
        foreach (var t in timings)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                framework = "sdae", optimizer = t.Optimizer, ms_per_step = Math.Round(t.MedianMs, 2), images_per_second = Math.Round(t.ImagesPerSecond, 1),
                gpu_memory_mib = t.GpuMemoryMiB is { } mib ? Math.Round(mib) : (double?)null,
            }));
        return 0;
    }
}
