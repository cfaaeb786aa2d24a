using SdAE.Abstractions.Data;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;

namespace SdAE.Abstractions.Heads;

/// <summary>
/// What an evaluation protocol gets: an encoder (not to be modified unless the protocol fine-tunes
/// a copy), the data, a feature cache shared with the other heads of the same pass (or null), and
/// the ranks of a data-parallel run (null: one process). Every rank evaluates every head; a head
/// may split its training batches over the ranks (fine-tuning does), and must then give every
/// rank the same result.
/// </summary>
public sealed record HeadContext(
    EncoderModule Encoder,
    IImageDataset Train,
    IImageDataset Test,
    torch.Device Device,
    int Seed,
    IProgressReporter Progress,
    IFeatureCache? Features = null,
    Distributed.ICollectives? Ranks = null);

/// <summary>Frozen-encoder features computed once per evaluation pass and shared between its heads.</summary>
public interface IFeatureCache
{
    /// <summary>The cached features of <paramref name="data"/> under <paramref name="encoder"/>, extracted on first use. The cache owns the tensor.</summary>
    torch.Tensor GetOrAdd(EncoderModule encoder, IImageDataset data, FeaturePooling pooling, Func<torch.Tensor> extract);
}

/// <summary>How a reported metric is read: the host formats, aggregates and plots metrics by kind, never by head name.</summary>
public enum MetricKind
{
    /// <summary>A fraction in [0, 1] (top-1): shown as a percentage, averaged over seeds, charted.</summary>
    Accuracy,
    /// <summary>Any other scalar (a loss): averaged over seeds.</summary>
    Scalar,
    /// <summary>A position such as the best epoch: recorded, not averaged.</summary>
    Index,
}

/// <summary>
/// An evaluation protocol's outcome: named scalars, their kinds, and an optional per-epoch curve
/// (points with an "epoch" and the same metric names). <see cref="Headline"/> names the metric that
/// sums the head up (top1 unless the head says otherwise, e.g. mIoU for segmentation); a metric
/// without a declared kind is a <see cref="MetricKind.Scalar"/>, except top1.
/// </summary>
public sealed class HeadResult(IReadOnlyDictionary<string, double> metrics)
{
    /// <summary>The head's scalars by name (top1 for classification heads).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; } = metrics;

    /// <summary>Per-epoch points, each with an "epoch" and some of the metric names; or null.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>>? Curve { get; init; }

    /// <summary>How each metric is read; metrics not named here are scalars, except top1.</summary>
    public IReadOnlyDictionary<string, MetricKind>? Kinds { get; init; }

    /// <summary>The name of the headline metric: top-1 accuracy on the test set.</summary>
    public const string Top1Metric = "top1";

    public double Top1 => Metrics.TryGetValue(Top1Metric, out var v) ? v : double.NaN;

    /// <summary>The metric listed first and charted in sweep comparisons; one of <see cref="Metrics"/>.</summary>
    public string Headline { get; init; } = Top1Metric;

    public MetricKind KindOf(string metric) =>
        Kinds is not null && Kinds.TryGetValue(metric, out var kind) ? kind
        : metric == Top1Metric ? MetricKind.Accuracy : MetricKind.Scalar;
}

/// <summary>An evaluation protocol: k-NN, linear probe, fine-tune.</summary>
public interface IDownstreamHead
{
    HeadResult Evaluate(HeadContext context);
}
