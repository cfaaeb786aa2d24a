using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>
/// Command-line overrides of an experiment's keys, `key.path=value` (`pretrain.epochs=1`,
/// `masking={ type: random, ratio: 0.6 }`, `eval.0.k=5`): the value is YAML, the path walks mappings
/// by key (creating the ones a section leaves out) and lists by index. They are applied to the file's
/// tree before binding, so they are checked like the file's own keys; a problem with one is reported
/// naming the override (<see cref="Origin"/>), not a line of the file.
/// </summary>
public sealed partial class ConfigOverrides
{
    readonly Dictionary<YamlNode, string> origins = new(ReferenceEqualityComparer.Instance);

    public IReadOnlyList<string> Texts { get; }

    ConfigOverrides(IReadOnlyList<string> texts) => Texts = texts;

    public static ConfigOverrides None { get; } = new([]);

    public static ConfigOverrides Parse(IEnumerable<string>? texts)
    {
        var overrides = new ConfigOverrides([.. texts ?? []]);
        foreach (var text in overrides.Texts)
            if (!Shape().IsMatch(text))
                throw new UserError($"'{text}' is not an override of the form key.path=value.",
                    "write e.g. pretrain.epochs=1 or masking.ratio=0.6 (options start with --).");
        return overrides;
    }

    /// <summary>The override a node came from, or null for the file's own nodes.</summary>
    public string? Origin(YamlNode node) => origins.GetValueOrDefault(node);

    /// <summary>Applies every override to <paramref name="root"/> in place, in order (a later one wins).</summary>
    public YamlMappingNode ApplyTo(YamlMappingNode root)
    {
        foreach (var text in Texts)
        {
            int equals = text.IndexOf('=');
            var path = text[..equals].Split('.');
            var value = ParseValue(text, text[(equals + 1)..]);
            YamlNode current = root;
            for (int i = 0; i < path.Length; i++)
            {
                bool last = i == path.Length - 1;
                current = current switch
                {
                    YamlMappingNode map => Step(map, path[i], last ? value : null, text),
                    YamlSequenceNode list when int.TryParse(path[i], out int index) && index >= 0 && index < list.Children.Count =>
                        last ? list.Children[index] = value : list.Children[index],
                    YamlSequenceNode list => throw new UserError(
                        $"override '{text}': '{string.Join('.', path[..i])}' is a list of {list.Children.Count}, so '{path[i]}' must be an index 0 to {list.Children.Count - 1}.",
                        "use the entry's position, e.g. eval.0.k=5."),
                    _ => throw new UserError($"override '{text}': '{string.Join('.', path[..i])}' is a value, not a section with keys.",
                        $"override '{string.Join('.', path[..i])}' itself."),
                };
            }
        }
        return root;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (the path's end) or steps into it, creating a missing section.</summary>
    YamlNode Step(YamlMappingNode map, string key, YamlNode? value, string text)
    {
        var existing = map.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: var v } && v == key);
        if (value is not null)
        {
            var keyNode = existing ?? Mark(new YamlScalarNode(key), text);
            map.Children[keyNode] = value;
            return value;
        }
        if (existing is not null) return map.Children[existing];
        var section = Mark(new YamlMappingNode(), text);
        map.Children[Mark(new YamlScalarNode(key), text)] = section;
        return section;
    }

    YamlNode ParseValue(string text, string value)
    {
        if (value.Trim().Length == 0) return Mark(new YamlScalarNode(""), text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(value));
        }
        catch (YamlException e)
        {
            throw new UserError($"override '{text}': the value is not YAML ({e.Message}).", "quote the value, e.g. key='[1, 2]' in the shell.");
        }
        return Mark(stream.Documents[0].RootNode, text);
    }

    /// <summary>Records the node and everything under it as coming from <paramref name="text"/>.</summary>
    T Mark<T>(T node, string text) where T : YamlNode
    {
        foreach (var part in node.AllNodes) origins[part] = text;
        return node;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*=", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
