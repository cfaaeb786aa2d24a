using SdAE.Host.Config;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Sweeps;

/// <summary>
/// A sweep file: a base experiment (a path relative to the sweep file, or an inline mapping), an
/// optional `common` overlay for every run, named `variants` (overlays that change several keys
/// together) and a `grid` (dotted path -> list of values; the cartesian product is taken). A
/// variant may carry its own `grid:`, which replaces the sweep's for that variant (more seeds for
/// a few variants of an ablation).
/// </summary>
public sealed record SweepDefinition(
    string File,
    string Name,
    string BaseDirectory,
    YamlMappingNode Base,
    IReadOnlyList<(string Name, YamlMappingNode Overlay)> Variants,
    IReadOnlyList<(string Path, IReadOnlyList<YamlNode> Values, int Line)> Grid)
{
    /// <summary>Variants whose own `grid:` replaces <see cref="Grid"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<(string Path, IReadOnlyList<YamlNode> Values, int Line)>> VariantGrids { get; init; } =
        new Dictionary<string, IReadOnlyList<(string Path, IReadOnlyList<YamlNode> Values, int Line)>>();

    /// <summary>The grid a variant's runs take: its own, or the sweep's.</summary>
    public IReadOnlyList<(string Path, IReadOnlyList<YamlNode> Values, int Line)> GridOf(string variant) =>
        VariantGrids.TryGetValue(variant, out var own) ? own : Grid;

    static readonly string[] Keys = ["sweep", "base", "common", "variants", "grid"];

    /// <summary>Top-level keys only an experiment file has: they tell one passed to `sdae sweep` by mistake.</summary>
    static readonly string[] ExperimentKeys = ["name", "data", "backbone", "decoder", "masking", "target", "pretrain", "eval"];

    public static SweepDefinition Load(string file)
    {
        if (!System.IO.File.Exists(file))
            throw new UserError($"sweep file not found: {file}", "check the path (sweeps live in experiments/).");
        var root = ExperimentLoader.Parse(file, System.IO.File.ReadAllText(file));
        if (Child(root, "sweep") is null && root.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => ExperimentKeys.Contains(k.Value)) is { } experimentKey)
            throw Error(file, experimentKey, $"this is an experiment file (it has '{experimentKey.Value}:' and no 'sweep:'), not a sweep.",
                $"run it with: sdae run {file} (or check it with sdae validate {file})");
        foreach (var (key, _) in root.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (!Keys.Contains(name))
                throw Error(file, key, $"unknown sweep key '{name}'. Known: {string.Join(", ", Keys)}.",
                    NameConvention.ClosestMatch(name, Keys) is { } close ? $"did you mean '{close}'?" : "remove it.");
        }

        var sweepName = Scalar(file, root, "sweep") ?? throw Error(file, root, "a sweep file needs 'sweep: <name>'.", "add sweep: my_comparison");
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var (baseNode, baseDirectory) = Child(root, "base") switch
        {
            YamlScalarNode { Value: { } path } => LoadBase(file, Path.Combine(folder, path)),
            YamlMappingNode inline => (inline, folder),
            null => throw Error(file, root, "a sweep file needs 'base:', an experiment path or an inline experiment.", "add base: sdae_vit-micro_fmnist.yaml"),
            var other => throw Error(file, other, "'base' must be a path or a mapping.", null),
        };
        if (Child(root, "common") is { } common)
            baseNode = YamlOverlay.Apply(baseNode, common as YamlMappingNode ?? throw Error(file, common, "'common' must be a mapping of overrides.", null));

        var variants = Child(root, "variants") switch
        {
            null => [("base", new YamlMappingNode())],
            YamlMappingNode map => map.Children.Select(pair => (((YamlScalarNode)pair.Key).Value!, pair.Value as YamlMappingNode
                ?? throw Error(file, pair.Value, $"variant '{((YamlScalarNode)pair.Key).Value}' must be a mapping of overrides ({{}} for none).", null))).ToList(),
            var other => throw Error(file, other, "'variants' must map names to overrides.", "write variants: { mae: { target: { type: pixel } } }"),
        };
        var variantGrids = new Dictionary<string, IReadOnlyList<(string, IReadOnlyList<YamlNode>, int)>>();
        foreach (var (name, overlay) in variants)
        {
            if (!RunNames.IsValid(name))
                throw Error(file, overlay, $"variant name '{name}' must use letters, digits, '-', '_' or '.'.", null);
            if (Child(overlay, "grid") is { } own)
            {
                variantGrids[name] = ParseGrid(file, own);
                overlay.Children.Remove(new YamlScalarNode("grid"));
            }
        }
        return new SweepDefinition(file, sweepName, baseDirectory, baseNode, variants, Child(root, "grid") is { } grid ? ParseGrid(file, grid) : [])
        {
            VariantGrids = variantGrids,
        };
    }

    static List<(string, IReadOnlyList<YamlNode>, int)> ParseGrid(string file, YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.Select(pair => (((YamlScalarNode)pair.Key).Value!, GridValues(file, pair), (int)pair.Key.Start.Line)).ToList(),
        _ => throw Error(file, node, "'grid' must map dotted keys to lists.", "write grid: { seed: [0, 1, 2] }"),
    };

    static IReadOnlyList<YamlNode> GridValues(string file, KeyValuePair<YamlNode, YamlNode> pair)
    {
        var key = ((YamlScalarNode)pair.Key).Value;
        var values = (pair.Value as YamlSequenceNode)?.Children.ToList()
            ?? throw Error(file, pair.Value, $"grid '{key}' must be a list of values, e.g. [0, 1, 2].", null);
        if (values.Count == 0)
            throw Error(file, pair.Value, $"grid '{key}' is an empty list, which leaves no runs to make.", "give it at least one value, or remove the key.");
        return values;
    }

    static (YamlMappingNode, string) LoadBase(string sweepFile, string path)
    {
        if (!System.IO.File.Exists(path))
            throw new UserError($"{sweepFile}: base experiment not found: {path}", "base is relative to the sweep file.");
        return (ExperimentLoader.Parse(path, System.IO.File.ReadAllText(path)), Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    static string? Scalar(string file, YamlMappingNode map, string key) => Child(map, key) switch
    {
        null => null,
        YamlScalarNode { Value: { } text } => text,
        var other => throw Error(file, other, $"'{key}' must be a single value.", null),
    };

    static ExperimentError Error(string file, YamlNode node, string message, string? fix) =>
        new(file, (int)node.Start.Line, (int)node.Start.Column, message, fix);
}

public static class RunNames
{
    public static bool IsValid(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>A folder-safe form of a value: other characters become '_'.</summary>
    public static string Sanitise(string text) =>
        new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray());
}
