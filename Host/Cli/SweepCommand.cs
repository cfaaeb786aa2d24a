using System.ComponentModel;
using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Sweeps;
using Spectre.Console;
using Spectre.Console.Cli;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Cli;

public sealed class SweepSettings : CommandSettings
{
    [CommandArgument(0, "<SWEEP>"), Description("A sweep file: base experiment + variants + grid.")]
    public string Sweep { get; init; } = "";

    [CommandOption("--jobs <N>"), Description("Runs at a time, each in its own process; CPU threads are split between them.")]
    [DefaultValue(1)]
    public int Jobs { get; init; } = 1;

    [CommandOption("--dry-run"), Description("List the runs and how each differs from the base; run nothing.")]
    public bool DryRun { get; init; }

    public override ValidationResult Validate() =>
        Jobs < 1 ? ValidationResult.Error("--jobs must be at least 1") : ValidationResult.Success();
}

/// <summary>`sdae sweep`: expands, validates every run up front, runs them N at a time, and writes the report.</summary>
public sealed class SweepCommand : Command<SweepSettings>
{
    public override int Execute(CommandContext context, SweepSettings settings, CancellationToken cancellationToken)
    {
        var sweep = SweepDefinition.Load(settings.Sweep);
        int threads = settings.Jobs > 1 ? Math.Max(1, Environment.ProcessorCount / settings.Jobs) : 0;
        var runs = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep, threads));
        AnsiConsole.MarkupLineInterpolated($"sweep [bold]{sweep.Name}[/]: {runs.Count} runs ({sweep.Variants.Count} variants x {runs.Count / Math.Max(1, sweep.Variants.Count)} grid points), all valid");
        if (settings.DryRun)
        {
            PrintDryRun(sweep, runs);
            return 0;
        }

        var clock = Stopwatch.StartNew();
        var results = SweepRunner.RunAsync(runs, settings.Jobs, LocalProcessExecutor.ForThisProgram(), (result, done, total) =>
        {
            var what = result.State switch
            {
                RunState.AlreadyDone => "[grey]already finished[/]",
                RunState.Succeeded => $"[green]finished[/] in {result.Seconds:F0} s",
                _ => $"[red]FAILED[/] (exit {result.ExitCode}); log: {Markup.Escape(result.LogPath)}",
            };
            AnsiConsole.MarkupLine($"[[{done,3}/{total}]] {Markup.Escape(result.Run.RunId)}: {what}");
        }, cancellationToken).GetAwaiter().GetResult();

        var folder = Path.Combine(runs[0].Experiment.Output, sweep.Name);
        var written = SweepReport.Write(folder, results, clock.Elapsed.TotalSeconds);
        Console.WriteLine(File.ReadAllText(written[0]));
        foreach (var file in written) AnsiConsole.MarkupLineInterpolated($"[grey]wrote {file}[/]");
        int failed = results.Count(r => r.State == RunState.Failed);
        if (failed > 0) AnsiConsole.MarkupLineInterpolated($"[red]{failed} of {results.Count} runs failed[/]; re-run the sweep to retry them (finished runs are skipped).");
        return failed == 0 ? 0 : 1;
    }

    static void PrintDryRun(SweepDefinition sweep, IReadOnlyList<(SweepRun Run, Experiment Experiment)> runs)
    {
        var baseline = Flatten(YamlOverlay.Parse(ResolvedConfig.ToYaml(runs[0].Experiment)));
        var table = new Table().AddColumn("run").AddColumn("folder").AddColumn("differs from the first run");
        foreach (var (run, experiment) in runs)
        {
            var resolved = Flatten(YamlOverlay.Parse(ResolvedConfig.ToYaml(experiment)));
            var differences = resolved.Where(p => p.Key != "run" && (!baseline.TryGetValue(p.Key, out var v) || v != p.Value))
                .Select(p => $"{p.Key}={p.Value}")
                .Concat(baseline.Keys.Where(k => !resolved.ContainsKey(k)).Select(k => $"{k} removed"));
            table.AddRow(Markup.Escape(run.Describe()), Markup.Escape(Runs.RunFolder.For(experiment).Path), Markup.Escape(string.Join(", ", differences)));
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
