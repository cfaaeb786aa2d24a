using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>
/// Command-line overrides of an experiment's keys, `key.path=value` (`pretrain.epochs=1`,
/// `masking={ type: random, ratio: 0.6 }`, `eval.0.k=5`): the value is YAML, set at the dotted path as
/// a sweep's grid sets its values (mappings by key, created where a section leaves them out; lists by index). They are applied to the file's
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

    /// <summary>
    /// Applies every override to <paramref name="root"/> in place, in order (a later one wins), through
    /// <see cref="YamlOverlay.Set"/> as a sweep's grid does; every node an override brings (its value, and
    /// the keys and sections it creates) is recorded as coming from it.
    /// </summary>
    public YamlMappingNode ApplyTo(YamlMappingNode root)
    {
        foreach (var text in Texts)
        {
            int equals = text.IndexOf('=');
            var before = new HashSet<YamlNode>(root.AllNodes, ReferenceEqualityComparer.Instance);
            try
            {
                YamlOverlay.Set(root, text[..equals], ParseValue(text, text[(equals + 1)..]));
            }
            catch (ArgumentException e)
            {
                throw new UserError($"override '{text}': {e.Message}", "override an existing section's key, or a list entry by its index (eval.0.k=5).");
            }
            foreach (var node in root.AllNodes.Where(n => !before.Contains(n))) origins[node] = text;
        }
        return root;
    }

    static YamlNode ParseValue(string text, string value)
    {
        if (value.Trim().Length == 0) return new YamlScalarNode("");
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(value));
        }
        catch (YamlException e)
        {
            throw new UserError($"override '{text}': the value is not YAML ({e.Message}).", "quote the value, e.g. key='[1, 2]' in the shell.");
        }
        return stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*=", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
