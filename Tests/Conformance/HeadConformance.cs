using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Plugins;
using static TorchSharp.torch;
using static SdAE.Tests.Support.TensorAssert;

namespace SdAE.Tests.Conformance;

/// <summary>Every evaluation head: evaluates a tiny labelled set with its default options and reports its metrics in range.</summary>
public class HeadConformance
{
    static IEnumerable<TestCaseData> Heads() => RegisteredPlugins.OfKind(PluginKind.Head);

    [TestCaseSource(nameof(Heads))]
    public void EvaluatesATinySetAndReportsMetricsInRange(string name)
    {
        using var encoder = RegisteredPlugins.TinyEncoder();
        var train = RegisteredPlugins.RandomImages(60, seed: 1);
        var test = RegisteredPlugins.RandomImages(30, seed: 2);
        try
        {
            var head = RegisteredPlugins.Create<IDownstreamHead>(PluginKind.Head, name);
            var before = encoder.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
            var result = head.Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance));
            Assert.That(result.Metrics, Does.ContainKey(HeadResult.Top1Metric), "every head reports top-1");
            foreach (var (metric, value) in result.Metrics)
            {
                Assert.That(double.IsFinite(value), Is.True, metric);
                if (result.KindOf(metric) == MetricKind.Accuracy) Assert.That(value, Is.InRange(0.0, 1.0), metric);
            }
            foreach (var point in result.Curve ?? [])
                Assert.That(point, Does.ContainKey("epoch"), "curve points say their epoch");
            foreach (var (key, tensor) in encoder.state_dict())
                Assert.That(Same(tensor, before[key]), Is.True, $"the evaluated encoder's {key} is left as it was");
        }
        finally
        {
            ((IDisposable)train).Dispose();
            ((IDisposable)test).Dispose();
        }
    }
}
