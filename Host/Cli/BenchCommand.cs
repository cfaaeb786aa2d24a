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

public sealed class BenchStepSettings : BenchSettings
{
    [CommandOption("--memory"), Description("Measure the memory a step needs per batch size (--batches) instead of timing both optimizers.")]
    public bool Memory { get; init; }

    [CommandOption("--batches <LIST>"), Description("With --memory: comma-separated batch sizes, e.g. 64,128,256; default a quarter, half and all of the experiment's batch.")]
    public string? Batches { get; init; }

    public IReadOnlyList<int>? BatchSizes => Batches?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(b => int.TryParse(b, out var n) ? n : -1).ToList();

    public override ValidationResult Validate() =>
        Batches is not null && !Memory ? ValidationResult.Error("--batches goes with --memory")
        : BatchSizes is { } sizes && (sizes.Count == 0 || sizes.Any(b => b < 1)) ? ValidationResult.Error($"--batches '{Batches}' must be positive whole numbers separated by commas, e.g. 64,128,256")
        : Memory && Batch is not null ? ValidationResult.Error("with --memory give the sizes as --batches, not --batch")
        : base.Validate();
}

/// <summary>`sdae bench`: ms/step, images/s, estimated TFLOP/s and peak memory of an experiment's training step; with --memory, the memory per batch size.</summary>
public sealed class BenchCommand : Command<BenchStepSettings>
{
    public override int Execute(CommandContext context, BenchStepSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment);
        if (settings.Memory) return Memory(loaded, settings);
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

    static int Memory(LoadedExperiment loaded, BenchStepSettings settings)
    {
        int batch = loaded.Experiment.Pretrain.Batch;
        var sizes = settings.BatchSizes ?? [Math.Max(1, batch / 4), Math.Max(1, batch / 2), batch];
        var profile = MemoryBenchmark.Run(loaded, sizes, settings.Steps, settings.Device, message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"));
        var table = new Table().AddColumn(new TableColumn("batch").RightAligned()).AddColumn(new TableColumn("peak host RSS MiB").RightAligned())
            .AddColumn(new TableColumn("GPU MiB (NVML)").RightAligned()).AddColumn(new TableColumn("ms/step").RightAligned());
        foreach (var p in profile.Points)
            table.AddRow($"{p.Batch}", $"{p.PeakRssMiB:F0}", p.GpuMemoryMiB is { } gpu ? $"{gpu:F0}" : "-", p.Failure ?? $"{p.MsPerStep:F1}");
        AnsiConsole.Write(table);
        Console.WriteLine($"optimizer {OptionProperties.FormatValue(loaded.Experiment.Pretrain.Optimizer)}, {settings.Steps} steps per size after 3 warm-up steps; " +
            $"the process held {profile.BaselineRssMiB:F0} MiB before any model (runtime and libtorch), part of every peak");
        foreach (var p in profile.Points)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                batch = p.Batch, peak_rss_mib = Math.Round(p.PeakRssMiB),
                gpu_memory_mib = p.GpuMemoryMiB is { } mib ? Math.Round(mib) : (double?)null, ms_per_step = double.IsNaN(p.MsPerStep) ? (double?)null : Math.Round(p.MsPerStep, 2), failure = p.Failure,
            }));
        return 0;
    }
}
