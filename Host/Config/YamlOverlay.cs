using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>
/// Derives one experiment from another by overlaying YAML: mappings merge key by key; a mapping
/// that names a `type` replaces the whole section (another plugin has other options); scalars and
/// lists replace. The base node is not modified.
/// </summary>
public static class YamlOverlay
{
    public static YamlMappingNode Apply(YamlMappingNode baseNode, YamlMappingNode overlay)
    {
        var result = new YamlMappingNode();
        foreach (var (key, value) in baseNode.Children) result.Children[key] = value;
        foreach (var (key, value) in overlay.Children)
        {
            bool merge = value is YamlMappingNode overlayMap && !overlayMap.Children.ContainsKey(new YamlScalarNode("type"))
                && result.Children.TryGetValue(key, out var existing) && existing is YamlMappingNode;
            result.Children[key] = merge
                ? Apply((YamlMappingNode)result.Children[key], (YamlMappingNode)value)
                : value;
        }
        return result;
    }

    /// <summary>Parses a small YAML mapping, e.g. "{ masking: { type: random } }".</summary>
    public static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
