using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using static SdAE.Testing.TensorChecks;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>
/// An evaluation head's contract: it evaluates a tiny labelled set, reports top-1 and finite metrics
/// (accuracies within [0, 1]), says each curve point's epoch, and leaves the evaluated encoder as it was.
/// </summary>
public abstract class HeadConformance : PluginConformance
{
    protected abstract IDownstreamHead CreateHead();

    /// <summary>The encoder evaluated; a small probe encoder unless overridden.</summary>
    protected virtual EncoderModule CreateEncoder() => new ProbeEncoder(Context);

    [Test]
    public void EvaluatesATinySetAndReportsMetricsInRange()
    {
        using var encoder = CreateEncoder();
        using var train = new ProbeImages(60, seed: 1, Context.Channels, Context.ImageSize, Context.ClassCount);
        using var test = new ProbeImages(30, seed: 2, Context.Channels, Context.ImageSize, Context.ClassCount);
        var head = CreateHead();
        var before = encoder.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var result = head.Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance));
        Assert.That(result.Metrics, Does.ContainKey(HeadResult.Top1Metric), "every head reports top-1");
        Assert.That(result.Metrics, Does.ContainKey(result.Headline), "the headline is one of the reported metrics");
        foreach (var (metric, value) in result.Metrics)
        {
            Assert.That(double.IsFinite(value), Is.True, metric);
            if (result.KindOf(metric) == MetricKind.Accuracy) Assert.That(value, Is.InRange(0.0, 1.0), metric);
        }
        foreach (var point in result.Curve ?? [])
            Assert.That(point, Does.ContainKey("epoch"), "curve points say their epoch");
        foreach (var (key, tensor) in encoder.state_dict())
            Assert.That(Same(tensor, before[key]), Is.True, $"the evaluated encoder's {key} is left as it was");
        foreach (var copy in before.Values) copy.Dispose();
    }
}
