using System.Diagnostics;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>Runs the experiment's `eval:` heads on an encoder.</summary>
public static class Evaluator
{
    public static IReadOnlyList<HeadOutcome> RunAll(IEnumerable<PluginSpec> heads, Plugins.PluginCatalog catalog, Func<PluginSpec, EncoderModule> encoderFor,
        IImageDataset train, IImageDataset test, PluginContext context)
    {
        var outcomes = new List<HeadOutcome>();
        using var features = new FeatureCache();
        foreach (var spec in heads)
        {
            var clock = Stopwatch.StartNew();
            var head = catalog.Create<IDownstreamHead>(spec.Type, spec.Options, context);
            var result = head.Evaluate(new HeadContext(encoderFor(spec), train, test, context.Device, context.Seed, context.Progress, features));
            var settings = new Dictionary<string, string>(Settings(spec.Options)) { ["encoder"] = OptionProperties.FormatValue(spec.Encoder) };
            outcomes.Add(new HeadOutcome(spec.Label, settings, result, clock.Elapsed.TotalSeconds));
        }
        return outcomes;
    }

    static IReadOnlyDictionary<string, string> Settings(object options) =>
        OptionProperties.Of(options.GetType()).ToDictionary(p => p.Key, p => OptionProperties.FormatValue(p.Value.GetValue(options)));
}
