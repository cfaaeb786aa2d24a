using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>
/// Derives one experiment from another by overlaying YAML: mappings merge key by key; a mapping
/// that names a `type` replaces the whole section (another plugin has other options); scalars and
/// lists replace; a null value (`~`) removes the key. The base node is not modified.
/// </summary>
public static class YamlOverlay
{
    public static YamlMappingNode Apply(YamlMappingNode baseNode, YamlMappingNode overlay)
    {
        var result = new YamlMappingNode();
        foreach (var (key, value) in baseNode.Children) result.Children[key] = value;
        foreach (var (key, value) in overlay.Children)
        {
            if (value is YamlScalarNode { Value: null or "~" or "null" or "" } removal && removal.Style == YamlDotNet.Core.ScalarStyle.Plain)
            {
                result.Children.Remove(key);
                continue;
            }
            bool merge = value is YamlMappingNode overlayMap && !overlayMap.Children.ContainsKey(new YamlScalarNode("type"))
                && result.Children.TryGetValue(key, out var existing) && existing is YamlMappingNode;
            result.Children[key] = merge
                ? Apply((YamlMappingNode)result.Children[key], (YamlMappingNode)value)
                : value;
        }
        return result;
    }

    /// <summary>A deep copy, so a derived tree can be edited without touching shared nodes.</summary>
    public static YamlNode Clone(YamlNode node) => node switch
    {
        YamlMappingNode map => CloneMapping(map),
        YamlSequenceNode list => CloneSequence(list),
        YamlScalarNode scalar => new YamlScalarNode(scalar.Value) { Style = scalar.Style, Tag = scalar.Tag },
        _ => node,
    };

    static YamlMappingNode CloneMapping(YamlMappingNode map)
    {
        var copy = new YamlMappingNode { Style = map.Style };
        foreach (var (key, value) in map.Children) copy.Children[Clone(key)] = Clone(value);
        return copy;
    }

    static YamlSequenceNode CloneSequence(YamlSequenceNode list)
    {
        var copy = new YamlSequenceNode { Style = list.Style };
        foreach (var item in list.Children) copy.Children.Add(Clone(item));
        return copy;
    }

    /// <summary>
    /// Sets the value at a dotted path (`masking.ratio`, `eval.0.k`) in place: mapping keys are
    /// created when missing; a number indexes into a list.
    /// </summary>
    public static void Set(YamlMappingNode root, string dottedPath, YamlNode value)
    {
        var parts = dottedPath.Split('.');
        YamlNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            switch (current)
            {
                case YamlMappingNode map:
                    var key = new YamlScalarNode(parts[i]);
                    if (last) { map.Children[key] = value; return; }
                    if (!map.Children.TryGetValue(key, out var next))
                        map.Children[key] = next = new YamlMappingNode();
                    current = next;
                    break;
                case YamlSequenceNode list when int.TryParse(parts[i], out int index) && index >= 0 && index < list.Children.Count:
                    if (last) { list.Children[index] = value; return; }
                    current = list.Children[index];
                    break;
                default:
                    throw new ArgumentException($"'{dottedPath}': '{string.Join('.', parts[..i])}' is a {Describe(current)}, so '{parts[i]}' cannot be set inside it.");
            }
        }
    }

    static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode list => $"list of {list.Children.Count} (use an index 0..{list.Children.Count - 1})",
        YamlScalarNode => "single value, not a section with keys",
        _ => "mapping",
    };

    /// <summary>The YAML text of a node tree.</summary>
    public static string ToText(YamlNode root)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>Parses a small YAML mapping, e.g. "{ masking: { type: random } }".</summary>
    public static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
