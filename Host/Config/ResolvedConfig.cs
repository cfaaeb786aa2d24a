using YamlDotNet.Serialization;

namespace SdAE.Host.Config;

/// <summary>
/// The experiment with every default filled in, as YAML: what a run actually used. Written to the
/// run folder; the part that shapes training (everything but `eval`) must match to resume a run.
/// </summary>
public static class ResolvedConfig
{
    public static string ToYaml(Experiment experiment) => new SerializerBuilder().Build().Serialize(ToTree(experiment));

    /// <summary>A resolved config's YAML without its `eval` list, round-tripped so formatting does not matter.</summary>
    public static string TrainingPart(string yaml)
    {
        var tree = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(yaml) ?? [];
        tree.Remove("eval");
        return new SerializerBuilder().Build().Serialize(tree);
    }

    static object? ToTree(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case PluginSpec spec:
                var section = new Dictionary<string, object?> { ["type"] = spec.Type };
                if (spec.Section is not null)
                    foreach (var (key, option) in (Dictionary<string, object?>)ToTree(spec.Section)!) section[key] = option;
                foreach (var (key, option) in (Dictionary<string, object?>)ToTree(spec.Options)!) section[key] = option;
                return section;
            case string text:
                return text;   // as it is: the serializer quotes what needs quoting ("" stays an empty string)
            case bool or int or long or float or double or Enum:
                return OptionProperties.FormatValue(value);
            case System.Collections.IEnumerable items:
                return items.Cast<object?>().Select(ToTree).ToList();
            default:
                return OptionProperties.Of(value.GetType())
                    .ToDictionary(pair => pair.Key, pair => ToTree(pair.Value.GetValue(value)));
        }
    }
}
