using SdAE.Host.Commands;
using System.ComponentModel;
using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Cli;

public sealed class SweepSettings : CommandSettings
{
    [CommandArgument(0, "<SWEEP>"), Description("A sweep file: base experiment + variants + grid.")]
    public string Sweep { get; init; } = "";

    [CommandArgument(1, "[OVERRIDES]"), Description("key.path=value ... : change every run's keys (YAML values), e.g. pretrain.epochs=1.")]
    public string[] Overrides { get; init; } = [];

    [CommandOption("--jobs <N>"), Description("Runs at a time, each in its own process; CPU threads are split between them.")]
    [DefaultValue(1)]
    public int Jobs { get; init; } = 1;

    [CommandOption("--only <RUNS>"), Description("Run only these unfinished runs, comma-separated: a variant's name for all its runs, a run folder's name (e.g. mae__seed-0) for one; the report still covers every finished run.")]
    public string? Only { get; init; }

    [CommandOption("--dry-run"), Description("List the runs and how each differs from the base; run nothing.")]
    public bool DryRun { get; init; }

    [CommandOption("--executor <WHERE>"), Description("local: processes on this machine (--jobs at a time); slurm: one Slurm job array, a task per run.")]
    [DefaultValue("local")]
    public string Executor { get; init; } = "local";

    [CommandOption("--partition <P>"), Description("Slurm: the partition to submit to (default: the cluster's).")]
    public string? Partition { get; init; }

    [CommandOption("--time <T>"), Description("Slurm: each run's time limit, as sbatch --time takes it (e.g. 2:00:00).")]
    public string? Time { get; init; }

    [CommandOption("--cpus-per-run <C>"), Description("Slurm: CPU cores per run, split over its ranks (default: the cluster's).")]
    public int CpusPerRun { get; init; }

    [CommandOption("--gpus-per-run <G>"), Description("Slurm: GPUs per run.")]
    public int GpusPerRun { get; init; }

    [CommandOption("--ranks-per-run <R>"), Description("Slurm: data-parallel ranks per run, started with srun --mpi=pmix; pretrain.batch must split over them.")]
    [DefaultValue(1)]
    public int RanksPerRun { get; init; } = 1;

    public bool OnSlurm => Executor == "slurm";

    public override ValidationResult Validate()
    {
        if (Jobs < 1) return ValidationResult.Error("--jobs must be at least 1");
        if (Executor is not ("local" or "slurm")) return ValidationResult.Error($"--executor must be local or slurm, not '{Executor}'");
        if (CpusPerRun < 0 || GpusPerRun < 0 || RanksPerRun < 1) return ValidationResult.Error("--cpus-per-run and --gpus-per-run cannot be negative, and --ranks-per-run must be at least 1");
        bool slurmOptions = Partition is not null || Time is not null || CpusPerRun > 0 || GpusPerRun > 0 || RanksPerRun > 1;
        if (!OnSlurm && slurmOptions) return ValidationResult.Error("--partition, --time, --cpus-per-run, --gpus-per-run and --ranks-per-run go with --executor slurm");
        if (OnSlurm && Jobs > 1) return ValidationResult.Error("--jobs is for the local executor; Slurm runs as many tasks at once as the cluster has room for");
        return ValidationResult.Success();
    }
}

/// <summary>`sdae sweep`: expands, validates every run up front, runs them N at a time, and writes the report.</summary>
public sealed class SweepCommand : Command<SweepSettings>
{
    public override int Execute(CommandContext context, SweepSettings settings, CancellationToken cancellationToken)
    {
        var sweep = SweepDefinition.Load(settings.Sweep);
        int threads = settings.Jobs > 1 ? Math.Max(1, Environment.ProcessorCount / settings.Jobs) : 0;
        var overrides = ConfigOverrides.Parse(settings.Overrides);
        var expanded = SweepExpansion.Expand(sweep, threads, overrides);
        var only = settings.Only is null ? null : SweepSelection.Parse(sweep, expanded, settings.Only);
        Func<SweepRun, bool>? selected = only is null ? null : only.Contains;
        // run here, each run's model is built and stepped once on the CPU (as sdae validate does), so an option that only fails
        // against the backbone fails now, not minutes into the sweep; on Slurm the data may exist only on the nodes
        Action<LoadedExperiment>? check = settings.OnSlurm ? null : loaded => ExperimentCheck.Run(loaded);
        var runs = SweepExpansion.Validate(sweep, expanded, overrides: overrides, check: check);
        var shape = sweep.VariantGrids.Count == 0
            ? $"{sweep.Variants.Count} variants x {runs.Count / Math.Max(1, sweep.Variants.Count)} grid points"
            : $"{sweep.Variants.Count} variants, {sweep.VariantGrids.Count} with their own grid";
        AnsiConsole.MarkupLineInterpolated($"sweep [bold]{sweep.Name}[/]: {runs.Count} runs ({shape}), all valid");
        if (only is not null) AnsiConsole.MarkupLineInterpolated($"running only {string.Join(", ", only.Names)} (--only)");
        if (settings.DryRun)
        {
            PrintDryRun(sweep, selected is null ? runs : runs.Where(r => selected(r.Run)).ToList());
            return 0;
        }

        var folder = Path.Combine(runs[0].Experiment.Output, sweep.Name);
        if (settings.RanksPerRun > 1)
            foreach (var (run, experiment) in runs.Where(r => r.Experiment.Pretrain.Batch % settings.RanksPerRun != 0))
                throw new UserError($"run {run.RunId}: pretrain.batch {experiment.Pretrain.Batch} does not split over --ranks-per-run {settings.RanksPerRun}.",
                    $"use a batch that is a multiple of {settings.RanksPerRun}, or another number of ranks.");
        ISweepExecutor executor = settings.OnSlurm
            ? new SlurmExecutor(ThisProgram.Command(), new SlurmRequest(settings.Partition, settings.Time, settings.CpusPerRun, settings.GpusPerRun, settings.RanksPerRun),
                Path.Combine(folder, "slurm"), message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"))
            : LocalProcessExecutor.ForThisProgram(settings.Jobs);
        // the first SIGINT or SIGTERM stops the sweep gracefully: its runs write checkpoints, the report covers what finished
        using var stop = StopSignal.Listen();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Token);
        var clock = Stopwatch.StartNew();
        var results = SweepRunner.RunAsync(runs, executor, (result, done, total) =>
        {
            var what = result.State switch
            {
                RunState.AlreadyDone => "[grey]already finished[/]",
                RunState.Succeeded => $"[green]finished[/] in {result.Seconds:F0} s",
                RunState.NotSelected => "[grey]not run (--only)[/]",
                RunState.Stopped => "[yellow]stopped[/] (the next sweep resumes it)",
                _ when result.Note is { } note => $"[red]FAILED[/] ({Markup.Escape(note)}); log: {Markup.Escape(result.LogPath)}",
                _ => $"[red]FAILED[/] (exit {result.ExitCode}); log: {Markup.Escape(result.LogPath)}",
            };
            AnsiConsole.MarkupLine($"[[{done,3}/{total}]] {Markup.Escape(result.Run.RunId)}: {what}");
        }, selected, stopping.Token).GetAwaiter().GetResult();

        var written = SweepReport.Write(folder, results, clock.Elapsed.TotalSeconds);
        Console.WriteLine(File.ReadAllText(written[0]));
        foreach (var file in written) AnsiConsole.MarkupLineInterpolated($"[grey]wrote {file}[/]");
        if (stop.Requested)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]sweep stopped by {stop.Signal}[/]: {results.Count(r => r.State == RunState.Stopped)} runs stopped; run the same command again to resume them.");
            return stop.ExitCode;
        }
        int failed = results.Count(r => r.State == RunState.Failed);
        if (failed > 0) AnsiConsole.MarkupLineInterpolated($"[red]{failed} of {results.Count} runs failed[/]; re-run the sweep to retry them (finished runs are skipped).");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Each run, its folder, and what its variant and grid point set on top of the base (the keys as written in the sweep file).</summary>
    static void PrintDryRun(SweepDefinition sweep, IReadOnlyList<(SweepRun Run, Experiment Experiment)> runs)
    {
        var overlays = sweep.Variants.ToDictionary(v => v.Name, v => Flatten(v.Overlay));
        var table = new Table().AddColumn("run").AddColumn("folder").AddColumn("what its variant and grid point set");
        foreach (var (run, experiment) in runs)
        {
            var set = overlays[run.Variant].Select(p => $"{p.Key}={p.Value}").Concat(run.GridPoint.Select(p => $"{p.Path}={p.Value}")).ToList();
            table.AddRow(Markup.Escape(run.Describe()), Markup.Escape(Runs.RunFolder.For(experiment).Path),
                Markup.Escape(set.Count == 0 ? "(the base as it is)" : string.Join(", ", set)));
        }
        AnsiConsole.Write(table);
    }

    /// <summary>Dotted key -> scalar text, for comparing resolved configs.</summary>
    static Dictionary<string, string> Flatten(YamlNode node, string prefix = "", Dictionary<string, string>? into = null)
    {
        into ??= [];
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children) Flatten(value, prefix + ((YamlScalarNode)key).Value + ".", into);
                break;
            case YamlSequenceNode list:
                for (int i = 0; i < list.Children.Count; i++) Flatten(list.Children[i], $"{prefix}{i}.", into);
                if (list.Children.Count == 0) into[prefix.TrimEnd('.')] = "[]";
                break;
            case YamlScalarNode scalar:
                into[prefix.TrimEnd('.')] = scalar.Value ?? "";
                break;
        }
        return into;
    }
}
