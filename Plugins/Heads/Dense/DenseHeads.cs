using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>What the dense heads report alike.</summary>
public static class DenseHeads
{
    public static void RequireDenseFeatures(EncoderModule encoder, string head)
    {
        if (!encoder.HasDenseFeatures)
            throw new NotSupportedException($"{head} needs patch-grid features, which backbone {encoder.GetType().Name} does not give.");
    }

    /// <summary>
    /// Pixel accuracy (as top1) and mIoU of per-pixel class logits over the test scenes, read
    /// <paramref name="batch"/> at a time: <paramref name="logits"/> (start, count) gives [n, K, S, S].
    /// </summary>
    public static Dictionary<string, double> SegmentationMetrics(DigitCanvases test, int classes, int batch, Func<long, long, Tensor> logits)
    {
        var confusion = new ConfusionMatrix(classes);
        for (long start = 0; start < test.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batch, test.Count - start);
            confusion.Add(logits(start, count).argmax(1), test.Labels.narrow(0, start, count));
        }
        return new Dictionary<string, double> { ["top1"] = confusion.PixelAccuracy(), ["miou"] = confusion.MeanIoU() };
    }

    /// <summary>
    /// The last evaluation's metrics, the best value of <paramref name="headline"/> over the curve
    /// and its epoch; every metric but the epoch is a fraction (an accuracy kind: shown as a
    /// percentage, averaged over seeds); <paramref name="headline"/> is the result's headline.
    /// </summary>
    public static HeadResult Result(IReadOnlyList<IReadOnlyDictionary<string, double>> curve, string headline)
    {
        var last = curve[^1];
        var best = curve.MaxBy(point => point[headline])!;
        var metrics = last.Where(m => m.Key is not ("epoch" or "train_loss")).ToDictionary(m => m.Key, m => m.Value);
        metrics["best_" + headline] = best[headline];
        metrics["best_epoch"] = best["epoch"];
        var kinds = metrics.Keys.ToDictionary(k => k, k => k == "best_epoch" ? MetricKind.Index : MetricKind.Accuracy);
        return new HeadResult(metrics) { Curve = curve, Kinds = kinds, Headline = headline };
    }
}
