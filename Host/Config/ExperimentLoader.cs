using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Host.Plugins;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>An experiment bound against the plugins it names; owns the plugin catalog.</summary>
public sealed class LoadedExperiment(string file, Experiment experiment, PluginCatalog catalog) : IDisposable
{
    public string File { get; } = file;
    public Experiment Experiment { get; } = experiment;
    public PluginCatalog Catalog { get; } = catalog;
    public void Dispose() => Catalog.Dispose();
}

/// <summary>Reads an experiment file: YAML parse, plugin loading (the file's `plugins:` too), binding, checks.</summary>
public static class ExperimentLoader
{
    /// <summary>Loads the file at <paramref name="path"/> with command-line <paramref name="overrides"/> (key.path=value) applied.</summary>
    public static LoadedExperiment Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path))
            throw new UserError($"experiment file not found: {path}", "check the path (experiments live in experiments/).");
        var root = Parse(path, File.ReadAllText(path));
        if (root.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "sweep" }) is { } sweep)
            throw new ExperimentError(path, (int)sweep.Start.Line, (int)sweep.Start.Column,
                "this is a sweep file (it has 'sweep:'), not an experiment.", $"run it with: sdae sweep {path}");
        var parsed = ConfigOverrides.Parse(overrides);
        return Bind(path, parsed.ApplyTo(root), extra => PluginCatalog.LoadDefault(extra), parsed);
    }

    public static YamlMappingNode Parse(string file, string text)
    {
        CheckSyntax(file, text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ExperimentError(file, (int)e.Start.Line, (int)e.Start.Column, $"YAML error: {e.Message}", "fix the YAML on this line.");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ExperimentError(file, 1, 1, "an experiment file must be a mapping of top-level keys (name, backbone, masking, target...).",
                "start from a file in experiments/.");
        return root;
    }

    /// <summary>
    /// Walks the YAML events first: YamlDotNet reports most syntax errors with a position, but some
    /// (an unclosed flow list) as a bare InvalidOperationException, so the last good position is kept.
    /// </summary>
    static void CheckSyntax(string file, string text)
    {
        var parser = new Parser(new StringReader(text));
        var lastGood = Mark.Empty;
        try
        {
            while (parser.MoveNext())
                lastGood = parser.Current!.End;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            var at = e is YamlException y ? y.Start : lastGood;
            var reason = e is YamlException ? (e.InnerException?.Message ?? e.Message) : "the text after this point cannot be parsed";
            var brief = reason.Contains("):") ? reason[(reason.IndexOf("):", StringComparison.Ordinal) + 2)..].Trim() : reason;
            throw new ExperimentError(file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), $"YAML syntax error: {brief}",
                "check indentation, colons and brackets on this line or the one after.");
        }
    }

    public static LoadedExperiment Bind(string file, YamlMappingNode root, Func<IEnumerable<string>, PluginCatalog> catalogFactory,
        ConfigOverrides? overrides = null)
    {
        var extra = ExtraPluginPaths(file, root);
        PluginCatalog catalog;
        try
        {
            catalog = catalogFactory(extra.Select(p => p.Path));
        }
        catch (PluginLoadException e)
        {
            var line = extra.FirstOrDefault(p => e.Message.Contains(p.Path)).Line;
            throw new ExperimentError(file, line == 0 ? 1 : line, 1, e.Message, e.Fix);
        }

        try
        {
            var experiment = new YamlBinder(file, catalog, overrides ?? ConfigOverrides.None).Bind<Experiment>(root, "experiment");
            experiment.Plugins = extra.Select(p => p.Path).ToList();   // absolute, so a resolved config works from its run folder
            if (experiment.Backbone?.Section is BackboneSection { InitFrom.Length: > 0 } init && !Path.IsPathRooted(init.InitFrom))
                init.InitFrom = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, init.InitFrom));
            CheckCombination(file, experiment, catalog);
            return new LoadedExperiment(file, experiment, catalog);
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
    }

    static List<(string Path, int Line)> ExtraPluginPaths(string file, YamlMappingNode root)
    {
        var node = root.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: "plugins" }).Value;
        if (node is null) return [];
        if (node is not YamlSequenceNode list)
            throw new ExperimentError(file, (int)node.Start.Line, (int)node.Start.Column, "'plugins' must be a list of assembly paths.", "write plugins: [path/to/MyPlugin.dll]");
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        return list.Children.OfType<YamlScalarNode>()
            .Select(s => (Path.GetFullPath(Path.Combine(folder, s.Value ?? "")), (int)s.Start.Line)).ToList();
    }

    /// <summary>Checks across sections that no single options class can see.</summary>
    static void CheckCombination(string file, Experiment e, PluginCatalog catalog)
    {
        var target = e.Target!;
        var decoderNeeded = UsesEncoderInputAttribute.Of(target.Factory.ImplementationType) == EncoderInput.VisibleTokens;
        if (decoderNeeded && e.Decoder is null)
            throw new ExperimentError(file, target.Line, 1, $"target '{target.Type}' predicts through a decoder, but the experiment has no 'decoder' section.",
                $"add a decoder section, e.g. decoder: {{ type: {catalog.OfKind(PluginKind.Decoder).Select(f => f.Name).FirstOrDefault() ?? "..."} }}.");
        foreach (var head in e.Eval.Where(h => h.Encoder == EvalEncoder.Teacher && !typeof(ITeacherProvider).IsAssignableFrom(target.Factory.ImplementationType)))
            throw new ExperimentError(file, head.Line, 1, $"eval '{head.Type}' asks for the teacher encoder, but target '{target.Type}' has no teacher.",
                $"use encoder: student, or a target with a teacher ({PluginHints.Names(catalog.TargetsWithTeacher())}).");
        foreach (var head in e.Eval.Where((h, i) => e.Eval.Take(i).Any(earlier => earlier.Label == h.Label)))
            throw new ExperimentError(file, head.Line, 1, $"two eval entries are both named '{head.Label}': their results would overwrite each other.",
                $"give one of them a name, e.g. name: {head.Label.Split('@')[0]}_2{(head.LabelsPerClass > 0 ? $"@{head.LabelsPerClass}" : "")}.");
        foreach (var head in e.Eval.Where(h => h.Every > 0 && e.Pretrain.Epochs > 0 && h.Every > e.Pretrain.Epochs))
            throw new ExperimentError(file, head.Line, 1, $"eval '{head.Type}' runs every {head.Every} epochs but pre-training has only {e.Pretrain.Epochs}.",
                $"set every: {e.Pretrain.Epochs} or less, or 0 for only at the end.");
    }
}
