using ScottPlot;
using SdAE.Abstractions.Heads;
using SdAE.Host.Runs;

namespace SdAE.Host.Reports;

/// <summary>
/// Per-run pictures: pretraining.png (epoch loss, and the top-1 of every head evaluated during
/// pre-training on the right axis, ending at its final value) and evaluation.png (test top-1 per
/// epoch of every head that reports a curve). What to draw comes from what heads report, not from their names.
/// </summary>
public static class RunPlots
{
    public static IReadOnlyList<string> Write(RunFolder folder, IReadOnlyList<HeadOutcome> heads)
    {
        var written = new List<string>();
        if (PretrainingCurves(folder.Metrics.Read(), heads) is { } pretraining)
            written.Add(Save(pretraining, folder.File("pretraining.png")));
        var trained = heads.Where(h => h.Result.Curve is { Count: > 0 } curve && curve.All(p => p.ContainsKey("epoch") && p.ContainsKey(HeadResult.Top1Metric))).ToList();
        if (trained.Count > 0)
        {
            var plot = new Plot();
            foreach (var head in trained)
            {
                var curve = head.Result.Curve!;
                var line = plot.Add.Scatter(curve.Select(p => p["epoch"]).ToArray(), curve.Select(p => 100 * p[HeadResult.Top1Metric]).ToArray());
                line.LegendText = head.Label;
            }
            plot.Title("Evaluation: test top-1 per epoch");
            plot.XLabel("epoch");
            plot.YLabel("top-1 (%)");
            plot.ShowLegend();
            written.Add(Save(plot, folder.File("evaluation.png")));
        }
        return written;
    }

    static Plot? PretrainingCurves(IReadOnlyList<MetricsRecord> records, IReadOnlyList<HeadOutcome> heads)
    {
        var losses = records.Where(r => r.IsEpochEnd).Select(r => (r.Epoch, Loss: r.Values[MetricsLog.EpochLoss])).ToList();
        if (losses.Count == 0) return null;
        var online = MetricsLog.EvaluationSeries(records, HeadResult.Top1Metric);
        foreach (var head in heads.Where(h => online.ContainsKey(h.Label)))
            online[head.Label].Add((losses[^1].Epoch, head.Result.Top1));

        var plot = new Plot();
        var lossLine = plot.Add.Scatter(losses.Select(p => p.Epoch).ToArray(), losses.Select(p => p.Loss).ToArray());
        lossLine.LegendText = "pre-training loss";
        foreach (var (label, points) in online)
        {
            var line = plot.Add.Scatter(points.Select(p => p.Epoch).ToArray(), points.Select(p => 100 * p.Value).ToArray());
            line.LegendText = $"{label} top-1 (%)";
            line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title("Pre-training");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        if (online.Count > 0) plot.Axes.Right.Label.Text = "online evaluation top-1 (%)";
        plot.ShowLegend();
        return plot;
    }

    static string Save(Plot plot, string path)
    {
        AtomicFile.Write(path, temporary => plot.SavePng(temporary, 900, 520));
        return path;
    }
}
