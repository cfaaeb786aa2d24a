using System.Text.Json;
using SdAE.Host.Engine;
using ScottPlot;

namespace SdAE.Host.Reports;

/// <summary>
/// Per-run pictures: pretraining.png (epoch loss, and online k-NN top-1 on the right axis) and
/// evaluation.png (test top-1 per epoch of every trained head: fine-tune, from scratch, linear probe).
/// </summary>
public static class RunPlots
{
    public static IReadOnlyList<string> Write(RunFolder folder, IReadOnlyList<HeadOutcome> heads)
    {
        var written = new List<string>();
        if (File.Exists(folder.MetricsPath) && PretrainingCurves(folder, heads) is { } pretraining)
        {
            Save(pretraining, folder.File("pretraining.png"));
            written.Add(folder.File("pretraining.png"));
        }
        var trained = heads.Where(h => h.Result.Curve is { Count: > 0 }).ToList();
        if (trained.Count > 0)
        {
            var plot = new Plot();
            foreach (var head in trained)
            {
                var curve = head.Result.Curve!;
                var line = plot.Add.Scatter(curve.Select(p => p["epoch"]).ToArray(), curve.Select(p => 100 * p["top1"]).ToArray());
                line.LegendText = head.Type;
            }
            plot.Title("Evaluation: test top-1 per epoch");
            plot.XLabel("epoch");
            plot.YLabel("top-1 (%)");
            plot.ShowLegend();
            Save(plot, folder.File("evaluation.png"));
            written.Add(folder.File("evaluation.png"));
        }
        return written;
    }

    static Plot? PretrainingCurves(RunFolder folder, IReadOnlyList<HeadOutcome> heads)
    {
        var lossPoints = new List<(double Epoch, double Loss)>();
        var knnPoints = new Dictionary<string, List<(double Epoch, double Top1)>>();
        foreach (var line in File.ReadLines(folder.MetricsPath).Where(l => l.Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty("epoch", out var epochElement)) continue;
            double epoch = epochElement.GetDouble();
            if (root.TryGetProperty("epoch_loss", out var loss)) lossPoints.Add((epoch, loss.GetDouble()));
            foreach (var property in root.EnumerateObject().Where(p => p.Name.StartsWith("knn") && p.Name.EndsWith("_top1")))
                Series(knnPoints, property.Name[..^"_top1".Length]).Add((epoch, 100 * property.Value.GetDouble()));
        }
        if (lossPoints.Count == 0) return null;
        foreach (var head in heads.Where(h => h.Type.StartsWith("knn")))
            Series(knnPoints, head.Type).Add((lossPoints[^1].Epoch, 100 * head.Result.Top1));

        var plot = new Plot();
        var lossLine = plot.Add.Scatter(lossPoints.Select(p => p.Epoch).ToArray(), lossPoints.Select(p => p.Loss).ToArray());
        lossLine.LegendText = "pre-training loss";
        foreach (var (name, points) in knnPoints)
        {
            var knnLine = plot.Add.Scatter(points.Select(p => p.Epoch).ToArray(), points.Select(p => p.Top1).ToArray());
            knnLine.LegendText = $"{name} top-1 (%)";
            knnLine.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title("Pre-training");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        if (knnPoints.Count > 0) plot.Axes.Right.Label.Text = "k-NN top-1 (%)";
        plot.ShowLegend();
        return plot;
    }

    static List<(double, double)> Series(Dictionary<string, List<(double, double)>> all, string name)
    {
        if (!all.TryGetValue(name, out var list)) all[name] = list = [];
        return list;
    }

    static void Save(Plot plot, string path)
    {
        var temporary = path + ".tmp.png";
        plot.SavePng(temporary, 900, 520);
        File.Move(temporary, path, overwrite: true);
    }
}
