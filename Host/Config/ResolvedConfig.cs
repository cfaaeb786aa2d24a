using YamlDotNet.Serialization;

namespace SdAE.Host.Config;

/// <summary>
/// The experiment with every default filled in, as YAML: what a run actually used. Written to the
/// run folder; the part that shapes training (everything but `eval`, `figures` and when to checkpoint and log) must match to resume a run.
/// </summary>
public static class ResolvedConfig
{
    public static string ToYaml(Experiment experiment) => new SerializerBuilder().Build().Serialize(ToTree(experiment));

    /// <summary>
    /// Keys added to the resolved config since runs were first written, with the value that trains as
    /// before: a run folder whose config lacks one still resumes when the new config has that value.
    /// </summary>
    static readonly (string Section, string Key, string Default)[] AddedKeys =
    [
        ("pretrain", "accumulate", "1"), ("pretrain", "no_decay", "vectors_and_tokens"),
        ("target", "teacher_view", "folds"), ("target", "teacher_init", "encoder"),
    ];

    /// <summary>Keys removed since, with the value that trains as now (init_from_student: false is teacher_init: encoder).</summary>
    static readonly (string Section, string Key, string Value)[] RemovedKeys = [("target", "init_from_student", "false")];

    /// <summary>Pre-training keys that say when to write and log, not what is learnt: a resumed run may change them.</summary>
    static readonly string[] BookkeepingKeys =
        ["checkpoint_every", "checkpoint_every_steps", "checkpoint_every_minutes", "log_every", "reconstruction_images"];

    /// <summary>A resolved config's tree without its `eval` list, `figures` and bookkeeping keys (formatting does not matter).</summary>
    static Dictionary<object, object?> TrainingTree(string yaml)
    {
        var tree = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(yaml) ?? [];
        tree.Remove("eval");
        tree.Remove("figures");
        if (tree.GetValueOrDefault("pretrain") is Dictionary<object, object?> pretrain)
            foreach (var key in BookkeepingKeys) pretrain.Remove(key);
        return tree;
    }

    /// <summary>The settings that shape training as dotted keys (`masking.ratio`) and their YAML text; lists as `[a, b]`.</summary>
    public static IReadOnlyDictionary<string, string> TrainingSettings(Experiment experiment)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Add(string prefix, object? value)
        {
            switch (value)
            {
                case Dictionary<object, object?> section:
                    foreach (var (key, inner) in section) Add(prefix.Length == 0 ? $"{key}" : $"{prefix}.{key}", inner);
                    break;
                case List<object> items:
                    settings[prefix] = $"[{string.Join(", ", items.Select(item => item is Dictionary<object, object?> ? "{...}" : $"{item}"))}]";
                    break;
                default:
                    settings[prefix] = $"{value}";
                    break;
            }
        }
        Add("", TrainingTree(ToYaml(experiment)));
        return settings;
    }

    /// <summary>Whether a run written with <paramref name="before"/> trains as <paramref name="now"/> would (eval aside; keys added since, at their old behaviour, aside).</summary>
    public static bool SameTraining(string before, string now)
    {
        var (old, current) = (TrainingTree(before), TrainingTree(now));
        foreach (var (section, key, value) in AddedKeys)
            if (old.GetValueOrDefault(section) is Dictionary<object, object?> oldSection && !oldSection.ContainsKey(key)
                && current.GetValueOrDefault(section) is Dictionary<object, object?> newSection && newSection.GetValueOrDefault(key) as string == value)
                newSection.Remove(key);
        foreach (var (section, key, value) in RemovedKeys)
            if (old.GetValueOrDefault(section) is Dictionary<object, object?> oldSection && oldSection.GetValueOrDefault(key) as string == value)
                oldSection.Remove(key);
        var serializer = new SerializerBuilder().Build();
        return serializer.Serialize(old) == serializer.Serialize(current);
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
