using SdAE.Host.Config;
using SdAE.Host.Plugins;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Sweeps;

/// <summary>One expanded run of a sweep: which variant, which grid point, and the complete experiment.</summary>
public sealed record SweepRun(string Variant, IReadOnlyList<(string Path, string Value)> GridPoint, string RunId, YamlMappingNode Experiment)
{
    /// <summary>The row of the report this run belongs to: its variant and grid point without the seed.</summary>
    public string Group => string.Join(" ", new[] { Variant }.Concat(GridPoint.Where(p => p.Path != "seed").Select(p => $"{p.Path}={p.Value}")));

    public string Describe() => GridPoint.Count == 0 ? Variant : $"{Variant} ({string.Join(", ", GridPoint.Select(p => $"{p.Path}={p.Value}"))})";
}

/// <summary>Variants x grid into complete experiments, each named &lt;sweep&gt; with its own run id.</summary>
public static class SweepExpansion
{
    /// <summary>Every run of the sweep; command-line <paramref name="overrides"/> apply to each, after its variant and grid point.</summary>
    public static IReadOnlyList<SweepRun> Expand(SweepDefinition sweep, int threadsPerRun = 0, ConfigOverrides? overrides = null)
    {
        var runs = new List<SweepRun>();
        foreach (var (variant, overlay) in sweep.Variants)
        {
            var merged = YamlOverlay.Apply(sweep.Base, overlay);
            foreach (var point in Cartesian(sweep.GridOf(variant)))
            {
                var tree = (YamlMappingNode)YamlOverlay.Clone(merged);
                var values = new List<(string, string)>();
                foreach (var (path, value, line) in point)
                {
                    try
                    {
                        YamlOverlay.Set(tree, path, YamlOverlay.Clone(value));
                    }
                    catch (ArgumentException e)
                    {
                        throw new ExperimentError(sweep.File, line, 1, $"variant '{variant}', grid {e.Message}", "fix the dotted path.");
                    }
                    values.Add((path, value is YamlScalarNode { Value: { } text } ? text : YamlOverlay.ToText(value).Trim()));
                }
                overrides?.ApplyTo(tree);
                var runId = string.Join("__", new[] { variant }.Concat(values.Select(v => RunNames.Sanitise($"{v.Item1}-{v.Item2}"))));
                YamlOverlay.Set(tree, "name", new YamlScalarNode(sweep.Name));
                YamlOverlay.Set(tree, "run", new YamlScalarNode(runId));
                if (threadsPerRun > 0 && Threads(tree) == 0) YamlOverlay.Set(tree, "threads", new YamlScalarNode(threadsPerRun.ToString()));
                AbsolutePluginPaths(tree, sweep.BaseDirectory);
                runs.Add(new SweepRun(variant, values, runId, tree));
            }
        }
        var duplicate = runs.GroupBy(r => r.RunId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UserError($"{sweep.File}: two runs would share the folder '{duplicate.Key}'.", "give grid values that differ after folder-name cleaning.");
        return runs;
    }

    /// <summary>
    /// Binds every run before any starts, then gives it to <paramref name="check"/> (the sweep command
    /// builds each model there, as sdae validate does); the first bad one fails the whole sweep, naming its variant.
    /// </summary>
    public static IReadOnlyList<(SweepRun Run, Experiment Experiment)> Validate(SweepDefinition sweep, IReadOnlyList<SweepRun> runs,
        Func<IEnumerable<string>, PluginCatalog>? catalogFactory = null, ConfigOverrides? overrides = null, Action<LoadedExperiment>? check = null)
    {
        var validated = new List<(SweepRun, Experiment)>();
        foreach (var run in runs)
        {
            try
            {
                using var loaded = ExperimentLoader.Bind(sweep.File, run.Experiment, catalogFactory ?? (extra => PluginCatalog.LoadDefault(extra)), overrides);
                check?.Invoke(loaded);
                validated.Add((run, loaded.Experiment));
            }
            catch (ExperimentError e)
            {
                throw new ExperimentError(e.File, e.Line, e.Column, $"variant '{run.Variant}' ({run.Describe()}): {e.Message}", e.Fix);
            }
        }
        return validated;
    }

    static int Threads(YamlMappingNode tree) =>
        tree.Children.TryGetValue(new YamlScalarNode("threads"), out var node) && node is YamlScalarNode { Value: { } text } && int.TryParse(text, out var threads) ? threads : 0;

    static void AbsolutePluginPaths(YamlMappingNode tree, string baseDirectory)
    {
        if (tree.Children.TryGetValue(new YamlScalarNode("plugins"), out var node) && node is YamlSequenceNode list)
            for (int i = 0; i < list.Children.Count; i++)
                if (list.Children[i] is YamlScalarNode { Value: { } path })
                    list.Children[i] = new YamlScalarNode(Path.GetFullPath(Path.Combine(baseDirectory, path)));
    }

    static IEnumerable<List<(string Path, YamlNode Value, int Line)>> Cartesian(IReadOnlyList<(string Path, IReadOnlyList<YamlNode> Values, int Line)> grid)
    {
        IEnumerable<List<(string, YamlNode, int)>> points = [[]];
        foreach (var (path, values, line) in grid)
            points = points.SelectMany(point => values.Select(value => new List<(string, YamlNode, int)>(point) { (path, value, line) }));
        return points;
    }
}
