using System.Globalization;
using System.Text;
using ScottPlot;
using SdAE.Abstractions.Heads;
using SdAE.Host.Runs;

namespace SdAE.Host.Sweeps;

/// <summary>A metric over the seeds of one report row.</summary>
public readonly record struct Summary(double Mean, double Std, int Count)
{
    /// <summary>Mean and sample standard deviation (n - 1); the deviation of a single value is 0.</summary>
    public static Summary Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Summary(mean, std, values.Count);
    }
}

/// <summary>One row of the report: a variant x grid point, its metrics over seeds, the wall time per run, and pre-training's images/s (null when no run pre-trained).</summary>
public sealed record ReportRow(string Group, int Runs, IReadOnlyDictionary<string, Summary> Metrics, Summary WallSeconds, Summary? ImagesPerSecond = null);

/// <summary>One run's final metrics as "&lt;head&gt; &lt;metric&gt;" -> value (indices such as a best epoch left out), which are accuracies, which are its heads' headlines, its wall time, and its pre-training images/s (null when it did not pre-train).</summary>
public sealed record RunMetrics(IReadOnlyDictionary<string, double> Metrics, IReadOnlySet<string> Accuracies, IReadOnlySet<string> Headlines, double WallSeconds,
    double? ImagesPerSecond = null);

/// <summary>How the report reads its columns: which are accuracies (percentages) and which are heads' headlines (listed first, charted).</summary>
public sealed record ReportColumns(IReadOnlySet<string> Accuracies, IReadOnlySet<string> Headlines)
{
    public static ReportColumns Of(IEnumerable<RunMetrics> runs)
    {
        var list = runs.ToList();
        return new(list.SelectMany(r => r.Accuracies).ToHashSet(), list.SelectMany(r => r.Headlines).ToHashSet());
    }
}

/// <summary>
/// The sweep's report: report.csv and report.md (mean ± std over seeds of every metric in the runs'
/// results.json, and wall time per run), comparison.png (final metrics) and online_curves.png (online
/// evaluations over epochs, averaged over seeds).
/// </summary>
public static class SweepReport
{
    /// <summary>A run's metrics from its results.json.</summary>
    public static RunMetrics ReadRun(RunResults results)
    {
        var metrics = new Dictionary<string, double>();
        var accuracies = new HashSet<string>();
        var headlines = new HashSet<string>();
        foreach (var head in results.Heads)
        {
            headlines.Add($"{head.Label} {head.Result.Headline}");
            foreach (var (name, value) in head.Result.Metrics)
            {
                var kind = head.Result.KindOf(name);
                if (kind == MetricKind.Index) continue;
                metrics[$"{head.Label} {name}"] = value;
                if (kind == MetricKind.Accuracy) accuracies.Add($"{head.Label} {name}");
            }
        }
        return new RunMetrics(metrics, accuracies, headlines, results.TrainSeconds + results.Heads.Sum(h => h.Seconds),
            results.Epochs > 0 && results.ImagesPerSecond > 0 ? results.ImagesPerSecond : null);
    }

    public static IReadOnlyList<ReportRow> Aggregate(IEnumerable<(string Group, RunMetrics Run)> runs) =>
        runs.GroupBy(r => r.Group).Select(group =>
        {
            var names = group.SelectMany(r => r.Run.Metrics.Keys).Distinct();
            var metrics = names.ToDictionary(name => name,
                name => Summary.Of(group.Where(r => r.Run.Metrics.ContainsKey(name)).Select(r => r.Run.Metrics[name]).ToList()));
            var speeds = group.Select(r => r.Run.ImagesPerSecond).OfType<double>().ToList();
            return new ReportRow(group.Key, group.Count(), metrics, Summary.Of(group.Select(r => r.Run.WallSeconds).ToList()),
                speeds.Count > 0 ? Summary.Of(speeds) : null);
        }).ToList();

    /// <summary>The metric columns: every head's headline first, then the rest by name.</summary>
    public static IReadOnlyList<string> MetricColumns(IReadOnlyList<ReportRow> rows, ReportColumns kinds) =>
        rows.SelectMany(r => r.Metrics.Keys).Distinct().OrderBy(k => kinds.Headlines.Contains(k) ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal).ToList();

    public static string Format(string metric, Summary summary, bool accuracy) => accuracy
        ? string.Create(CultureInfo.InvariantCulture, $"{100 * summary.Mean:F2} ± {100 * summary.Std:F2}")
        : string.Create(CultureInfo.InvariantCulture, $"{summary.Mean:G4} ± {summary.Std:G3}");

    public static string Markdown(IReadOnlyList<ReportRow> rows, ReportColumns kinds)
    {
        var columns = MetricColumns(rows, kinds);
        var accuracies = kinds.Accuracies;
        var text = new StringBuilder();
        text.AppendLine("| variant | runs | " + string.Join(" | ", columns.Select(c => accuracies.Contains(c) ? c + " (%)" : c)) + " | wall per run (s) | pre-training images/s |");
        text.AppendLine("|---|---:|" + string.Concat(columns.Select(_ => "---:|")) + "---:|---:|");
        foreach (var row in rows)
            text.AppendLine($"| {row.Group} | {row.Runs} | " +
                string.Join(" | ", columns.Select(c => row.Metrics.TryGetValue(c, out var s) ? Format(c, s, accuracies.Contains(c)) : "—")) +
                string.Create(CultureInfo.InvariantCulture, $" | {row.WallSeconds.Mean:F0} | {(row.ImagesPerSecond is { } speed ? $"{speed.Mean:F0}" : "—")} |"));
        return text.ToString();
    }

    public static string Csv(IReadOnlyList<ReportRow> rows, ReportColumns kinds)
    {
        var columns = MetricColumns(rows, kinds);
        var text = new StringBuilder();
        text.AppendLine("variant,runs," + string.Join(",", columns.SelectMany(c => new[] { $"{c} mean", $"{c} std" })) + ",wall_seconds_mean,wall_seconds_std,images_per_second_mean,images_per_second_std");
        foreach (var row in rows)
            text.AppendLine(string.Join(",", new[] { Quote(row.Group), row.Runs.ToString(CultureInfo.InvariantCulture) }
                .Concat(columns.SelectMany(c => row.Metrics.TryGetValue(c, out var s) ? new[] { Number(s.Mean), Number(s.Std) } : ["", ""]))
                .Concat([Number(row.WallSeconds.Mean), Number(row.WallSeconds.Std)])
                .Concat(row.ImagesPerSecond is { } speed ? [Number(speed.Mean), Number(speed.Std)] : ["", ""])));
        return text.ToString();
    }

    static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
    static string Quote(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    /// <summary>Writes the table and charts into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<SweepRunResult> results, double sweepSeconds)
    {
        var finished = results.Where(r => r.State != RunState.Failed && r.Folder.HasResults)
            .Select(r => (Result: r, File: r.Folder.ReadResults())).Select(r => (r.Result, r.File, Metrics: ReadRun(r.File))).ToList();
        var rows = Aggregate(finished.Select(r => (r.Result.Run.Group, r.Metrics)));
        var kinds = ReportColumns.Of(finished.Select(r => r.Metrics));
        Directory.CreateDirectory(folder);
        var markdown = Markdown(rows, kinds) + string.Create(CultureInfo.InvariantCulture,
            $"\n{finished.Count} of {results.Count} runs finished; this sweep invocation took {sweepSeconds:F0} s.\n");
        var written = new List<string> { Path.Combine(folder, "report.md"), Path.Combine(folder, "report.csv") };
        AtomicFile.WriteAllText(written[0], markdown);
        AtomicFile.WriteAllText(written[1], Csv(rows, kinds));
        if (rows.Count > 0)
        {
            written.Add(Path.Combine(folder, "comparison.png"));
            Reports.FigureStyle.SavePanels(written[^1], ComparisonPanels(rows, kinds), columns: 3, panelWidth: 440, panelHeight: 400);
            if (OnlineCurves(finished.Select(r => (r.Result, r.File)).ToList()) is { } curves)
            {
                written.Add(Path.Combine(folder, "online_curves.png"));
                AtomicFile.Write(written[^1], temporary => curves.SavePng(temporary, 1100, 520));
            }
        }
        return written;
    }

    /// <summary>
    /// One panel per protocol family (knn, knn@10 and knn@100 together; upernet's mIoU apart from
    /// detection's AP), each with its own metric axis, bars per report row, and the legend in a panel of its own.
    /// </summary>
    static IReadOnlyList<Plot> ComparisonPanels(IReadOnlyList<ReportRow> rows, ReportColumns kinds)
    {
        var metrics = MetricColumns(rows, kinds).Where(m => kinds.Headlines.Contains(m) && kinds.Accuracies.Contains(m)).ToList();
        IPalette palette = rows.Count > 10 ? new ScottPlot.Palettes.Category20() : new ScottPlot.Palettes.Category10();
        var panels = new List<Plot>();
        foreach (var family in metrics.GroupBy(Family).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var plot = new Plot();
            var ticks = new List<Tick>();
            int m = 0;
            foreach (var metric in family)
            {
                double groupStart = m++ * (rows.Count + 1);
                ticks.Add(new Tick(groupStart + (rows.Count - 1) / 2.0, TickLabel(metric)));
                for (int r = 0; r < rows.Count; r++)
                    if (rows[r].Metrics.TryGetValue(metric, out var summary))
                        plot.Add.Bar(new Bar { Position = groupStart + r, Value = 100 * summary.Mean, Error = 100 * summary.Std, FillColor = palette.GetColor(r) });
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
            plot.Axes.Margins(bottom: 0);
            plot.Title(family.Key);
            plot.YLabel($"{MetricName(family.First())} (%)");
            panels.Add(plot);
        }
        var legend = new Plot();
        for (int r = 0; r < rows.Count; r++)
            legend.Legend.ManualItems.Add(new LegendItem { LabelText = rows[r].Group, FillColor = palette.GetColor(r) });
        legend.Axes.Frameless();
        legend.HideGrid();
        legend.Title("mean ± std over seeds");
        legend.ShowLegend(Alignment.MiddleCenter);
        panels.Add(legend);
        return panels;
    }

    /// <summary>"knn@100 top1" is shown as "knn@100"; another headline keeps its metric: "upernet miou".</summary>
    static string TickLabel(string column) =>
        column.EndsWith(" " + HeadResult.Top1Metric, StringComparison.Ordinal) ? column[..^(HeadResult.Top1Metric.Length + 1)] : column;

    /// <summary>"knn@100 top1" belongs to the knn family, "upernet miou" to upernet's.</summary>
    static string Family(string column) => column.Split(' ')[0].Split('@')[0];

    static string MetricName(string column) => column.Split(' ')[^1] == HeadResult.Top1Metric ? "top-1" : column.Split(' ')[^1];

    /// <summary>Each head evaluated during pre-training: its top-1 per epoch (ending at its final value), one line per variant and head, mean over seeds.</summary>
    static Plot? OnlineCurves(IReadOnlyList<(SweepRunResult Run, RunResults File)> runs)
    {
        var plot = new Plot();
        IPalette palette = new ScottPlot.Palettes.Category20();
        int series = 0;
        foreach (var group in runs.GroupBy(r => r.Run.Run.Group))
        {
            var byHead = new SortedDictionary<string, SortedDictionary<double, List<double>>>(StringComparer.Ordinal);
            foreach (var (run, results) in group)
            {
                foreach (var (label, points) in MetricsLog.OnlineTop1Curves(run.Folder.Metrics.Read(), results.Heads, results.Epochs))
                {
                    if (!byHead.TryGetValue(label, out var byEpoch)) byHead[label] = byEpoch = [];
                    foreach (var (epoch, top1) in points)
                    {
                        if (!byEpoch.TryGetValue(epoch, out var values)) byEpoch[epoch] = values = [];
                        values.Add(100 * top1);
                    }
                }
            }
            foreach (var (label, byEpoch) in byHead)
            {
                var line = plot.Add.Scatter(byEpoch.Keys.ToArray(), byEpoch.Values.Select(v => v.Average()).ToArray(), palette.GetColor(series++));
                line.LegendText = $"{group.Key}: {label}";
            }
        }
        if (series == 0) return null;
        plot.Title("Online evaluation top-1 during pre-training (mean over seeds)");
        plot.YLabel("top-1 (%)");
        var epochs = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().SelectMany(p => p.Data.GetScatterPoints()).Select(p => p.X).ToList();
        Reports.FigureStyle.EpochAxis(plot, epochs.Min(), epochs.Max());
        Reports.FigureStyle.LegendBeside(plot);
        return plot;
    }
}
