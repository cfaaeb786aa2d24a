using ScottPlot;
using SdAE.Abstractions.Heads;
using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Reports;

/// <summary>
/// Per-run pictures: pretraining.png (the loss at every logged step, log scale by default, and the
/// top-1 of every head evaluated during pre-training on the right axis, ending at its final value),
/// health.png (the diagnostics per epoch, each legend entry naming its axis) and evaluation.png
/// (test top-1 per epoch of every head that reports a curve). What to draw comes from what heads
/// report, not from their names.
/// </summary>
public static class RunPlots
{
    /// <param name="records">The run's metrics.jsonl, read once by the caller.</param>
    public static IReadOnlyList<string> Write(RunFolder folder, IReadOnlyList<MetricsRecord> records, IReadOnlyList<HeadOutcome> heads, FigureOptions? figures = null)
    {
        figures ??= new FigureOptions();
        var written = new List<string>();
        if (PretrainingCurves(records, heads, figures.LossScale) is { } pretraining)
            written.Add(Save(pretraining, folder.File("pretraining.png")));
        if (HealthCurves(records) is { } health)
            written.Add(Save(health, folder.File("health.png")));
        if (EvaluationCurves(heads) is { } evaluation)
            written.Add(Save(evaluation, folder.File("evaluation.png")));
        return written;
    }

    static Plot? EvaluationCurves(IReadOnlyList<HeadOutcome> heads)
    {
        var trained = heads.Where(h => h.Result.Curve is { Count: > 0 } curve && curve.All(p => p.ContainsKey("epoch") && p.ContainsKey(HeadResult.Top1Metric))).ToList();
        if (trained.Count == 0) return null;
        var plot = new Plot();
        foreach (var head in trained)
        {
            var curve = head.Result.Curve!;
            var line = plot.Add.Scatter(curve.Select(p => p["epoch"]).ToArray(), curve.Select(p => 100 * p[HeadResult.Top1Metric]).ToArray());
            line.LegendText = head.Label;
            line.MarkerSize = curve.Count > 30 ? 0 : 5;
        }
        plot.Title("Evaluation: test top-1 per epoch");
        plot.YLabel("top-1 (%)");
        var epochs = trained.SelectMany(h => h.Result.Curve!).Select(p => p["epoch"]).ToList();
        FigureStyle.EpochAxis(plot, epochs.Min(), epochs.Max());
        FigureStyle.LegendBeside(plot);
        return plot;
    }

    /// <summary>The loss at every logged step, and online evaluations' top-1 per epoch (right axis) ending at their final value.</summary>
    static Plot? PretrainingCurves(IReadOnlyList<MetricsRecord> records, IReadOnlyList<HeadOutcome> heads, AxisScale lossScale)
    {
        var steps = records.Where(r => r.IsStep && r.Values.ContainsKey("loss")).ToList();
        var epochEnds = records.Where(r => r.IsEpochEnd).ToList();
        if (steps.Count == 0 || epochEnds.Count == 0) return null;
        var online = MetricsLog.OnlineTop1Curves(records, heads, epochEnds[^1].Epoch);

        var plot = new Plot();
        var losses = steps.Select(r => r.Values["loss"]).ToArray();
        bool log = lossScale == AxisScale.Log && losses.All(v => v > 0);
        var lossLine = plot.Add.Scatter(steps.Select(r => r.Epoch).ToArray(), log ? losses.Select(FigureStyle.Log).ToArray() : losses);
        lossLine.LegendText = "loss (logged steps, left)";
        lossLine.MarkerSize = steps.Count > 30 ? 0 : 4;
        foreach (var (label, points) in online)
        {
            var line = plot.Add.Scatter(points.Select(p => p.Epoch).ToArray(), points.Select(p => 100 * p.Value).ToArray());
            line.LegendText = $"{label} top-1 (right)";
            line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title("Pre-training");
        plot.YLabel(log ? "loss (log scale)" : "loss");
        if (online.Count > 0) plot.Axes.Right.Label.Text = "online evaluation top-1 (%)";
        FigureStyle.EpochAxis(plot, 0, epochEnds[^1].Epoch);
        if (log) FigureStyle.LogAxis(plot.Axes.Left, losses);
        FigureStyle.LegendBeside(plot);
        return plot;
    }

    /// <summary>The health diagnostics per epoch: effective ranks (left) and the fixed-batch loss and target spread (right).</summary>
    static Plot? HealthCurves(IReadOnlyList<MetricsRecord> records)
    {
        var epochEnds = records.Where(r => r.IsEpochEnd && r.Values.ContainsKey("student_rank")).ToList();
        if (epochEnds.Count == 0) return null;
        var plot = new Plot();
        foreach (var name in epochEnds.SelectMany(r => r.Values.Keys).Distinct().Where(n => n != MetricsLog.EpochLoss))
        {
            var points = epochEnds.Where(r => r.Values.ContainsKey(name)).ToList();
            var line = plot.Add.Scatter(points.Select(r => r.Epoch).ToArray(), points.Select(r => r.Values[name]).ToArray());
            bool rank = name.EndsWith("_rank", StringComparison.Ordinal);
            line.LegendText = $"{name.Replace('_', ' ')} ({(rank ? "left" : "right")})";
            if (!rank) line.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title("Health on a fixed batch");
        plot.YLabel("effective rank of features");
        plot.Axes.Right.Label.Text = "probe loss, target spread";
        FigureStyle.EpochAxis(plot, epochEnds[0].Epoch, epochEnds[^1].Epoch);
        FigureStyle.LegendBeside(plot);
        return plot;
    }

    static string Save(Plot plot, string path)
    {
        AtomicFile.Write(path, temporary => plot.SavePng(temporary, 1000, 520));
        return path;
    }
}
