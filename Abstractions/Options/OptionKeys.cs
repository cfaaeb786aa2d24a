using System.Reflection;
using System.Text;
using SdAE.Abstractions.Plugins;

namespace SdAE.Abstractions.Options;

/// <summary>
/// The experiment keys of an options class (its settable public properties in snake_case:
/// `DropPath` is `drop_path`), and the keys the host itself binds in each kind's section, which
/// no plugin option may take: a section's mapping holds both, so a shared name would bind to neither.
/// </summary>
public static class OptionKeys
{
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool boundary = i > 0 && char.IsUpper(c) &&
                (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) ||
                 (i + 1 < name.Length && char.IsLower(name[i + 1])));
            if (boundary) builder.Append('_');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>The keys an options class binds, by property.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Of(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetSetMethod() is not null)
            .ToDictionary(p => ToSnakeCase(p.Name));

    /// <summary>The keys the host binds in a section of <paramref name="kind"/> besides the plugin's options (always `type`).</summary>
    public static IReadOnlyList<string> HostKeys(PluginKind kind) => kind switch
    {
        PluginKind.Head => ["type", "every", "encoder", "labels_per_class", "name"],
        PluginKind.Dataset => ["type", "image_size", "train_limit", "test_limit", "mean", "std", "augment", "prefetch", "workers", "cache_dir", "max_unreadable"],
        PluginKind.Backbone => ["type", "init_from", "init_strict"],
        _ => ["type"],
    };

    /// <summary>The options of <paramref name="optionsType"/> that take a host key of <paramref name="kind"/>'s section (none for a usable plugin).</summary>
    public static IReadOnlyList<string> Collisions(PluginKind kind, Type optionsType) =>
        [.. Of(optionsType).Keys.Intersect(HostKeys(kind)).Order(StringComparer.Ordinal)];
}
