using System.ComponentModel;
using SdAE.Host.Bench;
using SdAE.Host.Engine;
using SdAE.Training.Distributed;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class BenchAllReduceSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENTS>"), Description("Experiments whose flat gradient buffer (trainable parameters) is allreduced.")]
    public string[] Experiments { get; init; } = [];

    [CommandOption("--repeats <N>"), Description("Measured allreduces per experiment (the median is reported).")]
    [DefaultValue(20)]
    public int Repeats { get; init; } = 20;

    [CommandOption("--device <DEVICE>"), Description("cpu (Open MPI) or cuda (NCCL).")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    public override ValidationResult Validate() =>
        Repeats < 1 ? ValidationResult.Error("--repeats must be at least 1")
        : Experiments.Length == 0 ? ValidationResult.Error("name at least one experiment")
        : ValidationResult.Success();
}

/// <summary>`mpirun -np N sdae bench-allreduce EXPERIMENTS...`: the per-step gradient allreduce of each model size over the ranks.</summary>
public sealed class BenchAllReduceCommand : Command<BenchAllReduceSettings>
{
    public override int Execute(CommandContext context, BenchAllReduceSettings settings, CancellationToken cancellationToken)
    {
        var device = DeviceSelector.Resolve(settings.Device);
        bool cuda = device.type == TorchSharp.DeviceType.CUDA;
        if (LaunchEnvironment.Ranks is null && !cuda)
            throw new UserError("bench-allreduce measures an allreduce over several ranks, and this is one process.",
                "start it with mpirun -np 2 sdae bench-allreduce ... (or srun --mpi=pmix -n 2); one process on --device cuda checks NCCL alone.");
        // one process on a GPU: NCCL over a one-rank communicator, which checks the binding (no MPI needed) but measures no scaling
        using var ranks = LaunchEnvironment.Ranks is null ? Collectives.SingleRankNccl() : Collectives.Start(cuda);
        var timings = AllReduceBenchmark.Run(ranks, settings.Experiments, device, settings.Repeats);
        if (ranks.Rank != 0) return 0;
        AnsiConsole.MarkupLineInterpolated($"[grey]{ranks.Size} ranks over {ranks.Engine} on {settings.Device}; {settings.Repeats} measured allreduces each (after 3 warm-up)[/]");
        var table = new Table().AddColumn("experiment").AddColumn(new TableColumn("parameters").RightAligned()).AddColumn(new TableColumn("MiB").RightAligned())
            .AddColumn(new TableColumn("median ms").RightAligned()).AddColumn(new TableColumn("min ms").RightAligned()).AddColumn(new TableColumn("GB/s").RightAligned());
        foreach (var t in timings) table.AddRow(t.Experiment, $"{t.Parameters:N0}", $"{t.MiB:F1}", $"{t.MedianMs:F2}", $"{t.MinMs:F2}", $"{t.GBPerSecond:F2}");
        AnsiConsole.Write(table);
        foreach (var t in timings)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                bench = "allreduce", experiment = t.Experiment, ranks = ranks.Size, engine = ranks.Engine, parameters = t.Parameters,
                median_ms = Math.Round(t.MedianMs, 3), min_ms = Math.Round(t.MinMs, 3),
            }));
        return 0;
    }
}
