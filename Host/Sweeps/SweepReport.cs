using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScottPlot;
using SdAE.Host.Engine;

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

/// <summary>One row of the report: a variant x grid point, its metrics over seeds, and the wall time per run.</summary>
public sealed record ReportRow(string Group, int Runs, IReadOnlyDictionary<string, Summary> Metrics, Summary WallSeconds);

/// <summary>
/// The sweep's report: report.csv and report.md (mean ± std over seeds of every metric in the runs'
/// results.json, and wall time per run), comparison.png (final metrics) and knn_curves.png (online
/// k-NN over epochs, averaged over seeds).
/// </summary>
public static class SweepReport
{
    /// <summary>A run's metrics from its results.json: "&lt;head&gt; &lt;metric&gt;" -> value, and its wall time.</summary>
    public static (IReadOnlyDictionary<string, double> Metrics, double WallSeconds) ReadRun(string resultsPath)
    {
        var root = JsonNode.Parse(File.ReadAllText(resultsPath))!;
        var metrics = new Dictionary<string, double>();
        double wall = root["train_seconds"]?.GetValue<double>() ?? 0;
        foreach (var head in root["heads"]!.AsArray())
        {
            var type = head!["type"]!.GetValue<string>();
            wall += head["seconds"]?.GetValue<double>() ?? 0;
            foreach (var (name, value) in head["metrics"]!.AsObject())
                if (name != "best_epoch") metrics[$"{type} {name}"] = value!.GetValue<double>();
        }
        return (metrics, wall);
    }

    public static IReadOnlyList<ReportRow> Aggregate(IEnumerable<(string Group, IReadOnlyDictionary<string, double> Metrics, double WallSeconds)> runs) =>
        runs.GroupBy(r => r.Group).Select(group =>
        {
            var names = group.SelectMany(r => r.Metrics.Keys).Distinct();
            var metrics = names.ToDictionary(name => name,
                name => Summary.Of(group.Where(r => r.Metrics.ContainsKey(name)).Select(r => r.Metrics[name]).ToList()));
            return new ReportRow(group.Key, group.Count(), metrics, Summary.Of(group.Select(r => r.WallSeconds).ToList()));
        }).ToList();

    public static IReadOnlyList<string> MetricColumns(IReadOnlyList<ReportRow> rows) =>
        rows.SelectMany(r => r.Metrics.Keys).Distinct().OrderBy(k => k.EndsWith("top1") ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal).ToList();

    static bool IsAccuracy(string metric) => metric.EndsWith("top1", StringComparison.Ordinal) || metric.EndsWith("accuracy", StringComparison.Ordinal);

    public static string Format(string metric, Summary summary) => IsAccuracy(metric)
        ? string.Create(CultureInfo.InvariantCulture, $"{100 * summary.Mean:F2} ± {100 * summary.Std:F2}")
        : string.Create(CultureInfo.InvariantCulture, $"{summary.Mean:G4} ± {summary.Std:G3}");

    public static string Markdown(IReadOnlyList<ReportRow> rows)
    {
        var columns = MetricColumns(rows);
        var text = new StringBuilder();
        text.AppendLine("| variant | runs | " + string.Join(" | ", columns.Select(c => IsAccuracy(c) ? c + " (%)" : c)) + " | wall per run (s) |");
        text.AppendLine("|---|---:|" + string.Concat(columns.Select(_ => "---:|")) + "---:|");
        foreach (var row in rows)
            text.AppendLine($"| {row.Group} | {row.Runs} | " +
                string.Join(" | ", columns.Select(c => row.Metrics.TryGetValue(c, out var s) ? Format(c, s) : "—")) +
                string.Create(CultureInfo.InvariantCulture, $" | {row.WallSeconds.Mean:F0} |"));
        return text.ToString();
    }

    public static string Csv(IReadOnlyList<ReportRow> rows)
    {
        var columns = MetricColumns(rows);
        var text = new StringBuilder();
        text.AppendLine("variant,runs," + string.Join(",", columns.SelectMany(c => new[] { $"{c} mean", $"{c} std" })) + ",wall_seconds_mean,wall_seconds_std");
        foreach (var row in rows)
            text.AppendLine(string.Join(",", new[] { Quote(row.Group), row.Runs.ToString(CultureInfo.InvariantCulture) }
                .Concat(columns.SelectMany(c => row.Metrics.TryGetValue(c, out var s) ? new[] { Number(s.Mean), Number(s.Std) } : ["", ""]))
                .Concat([Number(row.WallSeconds.Mean), Number(row.WallSeconds.Std)])));
        return text.ToString();
    }

    static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
    static string Quote(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    /// <summary>Writes the table and charts into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<SweepRunResult> results, double sweepSeconds)
    {
        var finished = results.Where(r => r.State != RunState.Failed && File.Exists(r.Folder.ResultsPath)).ToList();
        var rows = Aggregate(finished.Select(r =>
        {
            var (metrics, wall) = ReadRun(r.Folder.ResultsPath);
            return (r.Run.Group, metrics, wall);
        }));
        Directory.CreateDirectory(folder);
        var markdown = Markdown(rows) + string.Create(CultureInfo.InvariantCulture,
            $"\n{finished.Count} of {results.Count} runs finished; this sweep invocation took {sweepSeconds:F0} s.\n");
        var written = new List<string> { Path.Combine(folder, "report.md"), Path.Combine(folder, "report.csv") };
        RunFolder.WriteAtomically(written[0], markdown);
        RunFolder.WriteAtomically(written[1], Csv(rows));
        if (rows.Count > 0)
        {
            written.Add(Path.Combine(folder, "comparison.png"));
            ComparisonChart(rows).SavePng(written[^1], 1000, 560);
            var curves = KnnCurves(finished);
            if (curves is not null)
            {
                written.Add(Path.Combine(folder, "knn_curves.png"));
                curves.SavePng(written[^1], 900, 520);
            }
        }
        return written;
    }

    static Plot ComparisonChart(IReadOnlyList<ReportRow> rows)
    {
        var metrics = MetricColumns(rows).Where(m => m.EndsWith(" top1", StringComparison.Ordinal)).ToList();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new List<Tick>();
        for (int m = 0; m < metrics.Count; m++)
        {
            double groupStart = m * (rows.Count + 1);
            ticks.Add(new Tick(groupStart + (rows.Count - 1) / 2.0, metrics[m].Replace(" top1", "")));
            for (int r = 0; r < rows.Count; r++)
            {
                if (!rows[r].Metrics.TryGetValue(metrics[m], out var summary)) continue;
                plot.Add.Bar(new Bar
                {
                    Position = groupStart + r,
                    Value = 100 * summary.Mean,
                    Error = 100 * summary.Std,
                    FillColor = palette.GetColor(r),
                });
            }
        }
        for (int r = 0; r < rows.Count; r++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = rows[r].Group, FillColor = palette.GetColor(r) });
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("Final top-1 by protocol (mean ± std over seeds)");
        plot.YLabel("top-1 (%)");
        plot.ShowLegend();
        return plot;
    }

    static Plot? KnnCurves(IReadOnlyList<SweepRunResult> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int series = 0;
        foreach (var group in runs.GroupBy(r => r.Run.Group))
        {
            var byEpoch = new SortedDictionary<double, List<double>>();
            foreach (var run in group)
            {
                if (!File.Exists(run.Folder.MetricsPath)) continue;
                var points = new List<(double Epoch, double Top1)>();
                foreach (var line in File.ReadLines(run.Folder.MetricsPath).Where(l => l.Contains("\"knn_top1\"")))
                {
                    using var document = JsonDocument.Parse(line);
                    points.Add((document.RootElement.GetProperty("epoch").GetDouble(), document.RootElement.GetProperty("knn_top1").GetDouble()));
                }
                // the final k-NN is in results.json, at the last epoch
                var results = JsonNode.Parse(File.ReadAllText(run.Folder.ResultsPath))!;
                var finalKnn = results["heads"]!.AsArray().FirstOrDefault(h => h!["type"]!.GetValue<string>() == "knn");
                if (finalKnn is not null && points.Count > 0)
                    points.Add((results["epochs"]!.GetValue<int>(), finalKnn["metrics"]!["top1"]!.GetValue<double>()));
                foreach (var (epoch, top1) in points)
                {
                    if (!byEpoch.TryGetValue(epoch, out var values)) byEpoch[epoch] = values = [];
                    values.Add(100 * top1);
                }
            }
            if (byEpoch.Count == 0) continue;
            var line2 = plot.Add.Scatter(byEpoch.Keys.ToArray(), byEpoch.Values.Select(v => v.Average()).ToArray(), palette.GetColor(series++));
            line2.LegendText = group.Key;
        }
        if (series == 0) return null;
        plot.Title("Online k-NN top-1 during pre-training (mean over seeds)");
        plot.XLabel("epoch");
        plot.YLabel("k-NN top-1 (%)");
        plot.ShowLegend();
        return plot;
    }
}
