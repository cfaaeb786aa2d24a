using SdAE.Abstractions.Distributed;
using System.Diagnostics;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// Runs the experiment's `eval:` heads on an encoder. A head with `labels_per_class: N` trains on
/// the seed's balanced subset of N labelled images per class (the same one for every head with
/// that N); the test set is always whole.
/// </summary>
public sealed class Evaluator(Plugins.PluginCatalog catalog, Func<PluginSpec, EncoderModule> encoderFor,
    IImageDataset train, IImageDataset test, PluginContext context, ICollectives? ranks = null)
{
    /// <summary>The evaluator of a run's model on its evaluation data (every rank of a data-parallel run evaluates).</summary>
    public static Evaluator For(LoadedExperiment loaded, RunEnvironment environment, PretrainingModel model, ICollectives? ranks = null) =>
        new(loaded.Catalog, model.EncoderFor, environment.EvalTrain, environment.EvalTest, environment.Context, ranks);

    public static Evaluator For(TrainingSession session) => For(session.Loaded, session.Environment, session.Model, session.Ranks);

    /// <summary>Runs the heads in order; <paramref name="stopRequested"/>, when it turns true, skips the heads not yet started.</summary>
    public IReadOnlyList<HeadOutcome> Run(IEnumerable<PluginSpec> heads, Func<bool>? stopRequested = null)
    {
        var outcomes = new List<HeadOutcome>();
        using var features = new FeatureCache();
        var subsets = new Dictionary<int, BalancedSubset>();
        try
        {
            foreach (var spec in heads)
            {
                if (stopRequested?.Invoke() == true) break;
                var clock = Stopwatch.StartNew();
                var labelled = spec.LabelsPerClass == 0 ? train
                    : subsets.TryGetValue(spec.LabelsPerClass, out var subset) ? subset
                    : subsets[spec.LabelsPerClass] = BalancedSubset.Of(train, spec.LabelsPerClass, context.Seed);
                var head = spec.Guard(() => catalog.Create<IDownstreamHead>(spec.Type, spec.Options, context));
                var progress = new HeadProgress(spec.Label, context.Progress);
                var result = head.Evaluate(new HeadContext(encoderFor(spec), labelled, test, context.Device, context.Seed, progress, features, ranks));
                var settings = Settings(spec.Options, spec.Encoder);
                // what differs from a section with only `type:` (labels_per_class is in the label already)
                var defaults = Settings(Activator.CreateInstance(spec.Options.GetType())!, new HeadSection().Encoder);
                var changed = settings.Where(s => defaults[s.Key] != s.Value).ToDictionary();
                settings["labels_per_class"] = spec.LabelsPerClass == 0 ? "all" : spec.LabelsPerClass.ToString(System.Globalization.CultureInfo.InvariantCulture);
                outcomes.Add(new HeadOutcome(spec.Label, settings, result, clock.Elapsed.TotalSeconds, changed));
            }
        }
        finally
        {
            foreach (var subset in subsets.Values) subset.Dispose();
        }
        return outcomes;
    }

    /// <summary>A head's settings as results.json records them: its options and the encoder it evaluated.</summary>
    static Dictionary<string, string> Settings(object options, EvalEncoder encoder)
    {
        var settings = OptionProperties.Of(options.GetType()).ToDictionary(p => p.Key, p => OptionProperties.FormatValue(p.Value.GetValue(options)));
        settings["encoder"] = OptionProperties.FormatValue(encoder);
        return settings;
    }
}
