using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using SdAE.Abstractions.Options;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Plugins;
using YamlDotNet.RepresentationModel;

namespace SdAE.Host.Config;

/// <summary>
/// Binds YAML nodes onto options classes by reflection (keys are snake_case property names),
/// checking types, <see cref="RangeAttribute"/> ranges, <see cref="RequiredAttribute"/> keys and
/// <see cref="IValidatableOptions"/>. Every failure is an <see cref="ExperimentError"/> with the
/// file, line and key. Plugin sections are resolved through the catalog.
/// </summary>
public sealed class YamlBinder(string file, PluginCatalog catalog, ConfigOverrides overrides)
{

    public T Bind<T>(YamlMappingNode node, string what) where T : class, new() =>
        (T)BindObject(node, typeof(T), what, keyPrefix: "");

    /// <summary>Binds a plugin section: `type:` picks the plugin, the other keys are its options.</summary>
    public PluginSpec BindPlugin(YamlNode node, PluginKind kind, string path)
    {
        var map = node as YamlMappingNode ??
            throw Error(node, $"'{path}' must be a mapping with a 'type' key.", $"write e.g. {path}: {{ type: {FirstName(kind)} }}");
        if (kind == PluginKind.Dataset && Child(map, "type") is null && Child(map, "dataset") is { } renamed)
            throw Error(renamed, $"'{path}.dataset' is now '{path}.type': datasets are plugins ({KnownNames(kind)}).", $"write type: {Scalar(renamed, path + ".dataset")}");
        var typeNode = Child(map, "type") ??
            throw Error(map, $"'{path}' has no 'type' key.", $"add type: one of {KnownNames(kind)}");
        var typeName = Scalar(typeNode, $"{path}.type");
        var factory = catalog.Find(kind, typeName);
        if (factory is null)
        {
            var suggestion = NameConvention.ClosestMatch(typeName, catalog.OfKind(kind).Select(f => f.Name));
            throw Error(typeNode, $"unknown {kind.SectionName()} type '{typeName}'. Known: {KnownNames(kind)}.",
                suggestion is not null ? $"did you mean '{suggestion}'?" : "use one of the known types, or list your plugin's assembly under 'plugins:'.");
        }

        // The host's own keys of the section and the plugin's options share one mapping: each binds its keys and skips the other's.
        var sectionType = PluginSpec.SectionType(kind);
        var sectionKeys = sectionType is null ? [] : OptionProperties.Of(sectionType).Keys.ToList();
        var pluginKeys = OptionProperties.Of(factory.OptionsType).Keys.ToList();
        var options = BindObject(map, factory.OptionsType, $"{kind.SectionName()} '{factory.Name}'", keyPrefix: path + ".", ["type", .. sectionKeys]);
        var section = sectionType is null ? null : BindObject(map, sectionType, $"{kind.SectionName()} '{factory.Name}'", keyPrefix: path + ".", ["type", .. pluginKeys]);
        return new PluginSpec { Kind = kind, Factory = factory, Options = options, File = file, Line = (int)map.Start.Line, Section = section };
    }

    /// <summary>Binds <paramref name="node"/>'s keys onto <paramref name="existing"/> when given (a nested section keeps its owner's defaults for the keys it omits), else onto a new <paramref name="type"/>.</summary>
    object BindObject(YamlNode node, Type type, string owner, string keyPrefix, IReadOnlyCollection<string>? reservedKeys = null, object? existing = null)
    {
        var map = node as YamlMappingNode ??
            throw Error(node, $"'{keyPrefix.TrimEnd('.')}' must be a mapping of key: value pairs.", null);
        var instance = existing ?? Activator.CreateInstance(type) ??
            throw new InvalidOperationException($"Options type {type.Name} needs a public parameterless constructor.");
        var properties = OptionProperties.Of(type);
        var seen = new HashSet<string>();

        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = Scalar(keyNode, keyPrefix + "<key>");
            if (reservedKeys?.Contains(key) == true) continue;
            var fullKey = keyPrefix + key;
            if (!properties.TryGetValue(key, out var property))
            {
                var known = properties.Keys.Concat(reservedKeys ?? []).ToList();
                var suggestion = NameConvention.ClosestMatch(key, known);
                var what = keyPrefix.Length == 0 ? $"unknown top-level key '{key}'" : $"unknown key '{key}' in {owner}";
                throw Error(keyNode, $"{what}. Known: {string.Join(", ", known)}.",
                    suggestion is not null ? $"did you mean '{suggestion}'?" : "remove it or use a known key.");
            }
            if (!seen.Add(key))
                throw Error(keyNode, $"'{fullKey}' is given twice.", "keep one of them.");

            var value = BindValue(valueNode, property, fullKey, property.GetValue(instance));
            CheckRange(property, value, valueNode, fullKey);
            property.SetValue(instance, value);
        }

        foreach (var (key, property) in properties)
            if (!seen.Contains(key) && property.GetCustomAttribute<RequiredAttribute>() is not null)
                throw Error(map, $"'{keyPrefix}{key}' is required{(keyPrefix.Length == 0 ? "" : $" for {owner}")}.", $"add {key}: <value>");

        if (instance is IValidatableOptions validatable)
            foreach (var problem in validatable.Validate())
            {
                var at = Child(map, problem.Key) is { } child ? child : map;
                throw Error(at, $"{keyPrefix}{problem.Key}: {problem.Message}", null);
            }
        return instance;
    }

    object? BindValue(YamlNode node, PropertyInfo property, string key, object? current)
    {
        if (property.GetCustomAttribute<PluginSectionAttribute>() is { } section)
        {
            if (property.PropertyType == typeof(PluginSpec))
                return IsNull(node) && property.GetCustomAttribute<RequiredAttribute>() is null ? null : BindPlugin(node, section.Kind, key);
            var sequence = node as YamlSequenceNode ?? throw Error(node, $"'{key}' must be a list of {{ type: ... }} entries.", null);
            return sequence.Children.Select((child, i) => BindPlugin(child, section.Kind, $"{key}[{i}]")).ToList();
        }
        return BindValue(node, property.PropertyType, key, current);
    }

    object? BindValue(YamlNode node, Type type, string key, object? current = null)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (IsNull(node))
        {
            if (underlying is not null || !type.IsValueType) return null;
            throw Error(node, $"'{key}' needs a value.", null);
        }
        type = underlying ?? type;

        if (type.IsArray)
            return ToArray(BindSequence(node, type.GetElementType()!, key), type.GetElementType()!);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var list = (System.Collections.IList)Activator.CreateInstance(type)!;
            foreach (var item in BindSequence(node, type.GetGenericArguments()[0], key)) list.Add(item);
            return list;
        }
        if (OptionProperties.IsScalar(type)) return ConvertScalar(node, type, key);
        return BindObject(node, type, $"'{key}'", key + ".", existing: current);
    }

    List<object?> BindSequence(YamlNode node, Type elementType, string key)
    {
        var sequence = node as YamlSequenceNode ?? throw Error(node, $"'{key}' must be a list, e.g. [a, b].", null);
        return sequence.Children.Select((child, i) => BindValue(child, elementType, $"{key}[{i}]")).ToList();
    }

    static Array ToArray(List<object?> items, Type elementType)
    {
        var array = Array.CreateInstance(elementType, items.Count);
        for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        return array;
    }

    object ConvertScalar(YamlNode node, Type type, string key)
    {
        var text = Scalar(node, key);
        var invariant = CultureInfo.InvariantCulture;
        object? value = type switch
        {
            _ when type == typeof(string) => text,
            _ when type == typeof(bool) => text.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => null,
            },
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, invariant, out var i) ? i : null,
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.Integer, invariant, out var l) ? l : null,
            _ when type == typeof(float) => float.TryParse(text, NumberStyles.Float, invariant, out var f) ? f : null,
            _ when type == typeof(double) => double.TryParse(text, NumberStyles.Float, invariant, out var d) ? d : null,
            _ when type.IsEnum => OptionProperties.EnumValues(type).FirstOrDefault(v => v.Name == text).Value,
            _ => throw new InvalidOperationException($"Unsupported option type {type.Name} for '{key}'."),
        };
        return value ?? throw Error(node, $"'{key}' must be {OptionProperties.Describe(type)}, got '{text}'.",
            OptionProperties.ExampleFix(type, key));
    }

    void CheckRange(PropertyInfo property, object? value, YamlNode node, string key)
    {
        var range = property.GetCustomAttribute<RangeAttribute>();
        if (range is null || value is null) return;
        var values = value is System.Collections.IEnumerable e and not string ? e.Cast<object>() : [value];
        foreach (var item in values)
            if (!range.IsValid(item))
                throw Error(node, $"'{key}' = {Convert.ToString(item, CultureInfo.InvariantCulture)} is out of range: must be {OptionProperties.DescribeRange(range)}.",
                    $"choose a value {OptionProperties.DescribeRange(range)}.");
    }

    static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Value: null or "~" or "null" or "" } scalar && scalar.Style == YamlDotNet.Core.ScalarStyle.Plain;

    string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } text } ? text : throw Error(node, $"'{key}' must be a single value, not a list or mapping.", null);

    static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: var k } && k == key).Value;

    string KnownNames(PluginKind kind)
    {
        var names = catalog.OfKind(kind).Select(f => f.Name).ToList();
        return names.Count == 0 ? "(none loaded)" : string.Join(", ", names);
    }

    string FirstName(PluginKind kind) => catalog.OfKind(kind).Select(f => f.Name).FirstOrDefault() ?? "name";

    /// <summary>A problem at <paramref name="node"/>: at its line of the file, or naming the command-line override it came from.</summary>
    Exception Error(YamlNode node, string message, string? fix) => overrides.Origin(node) is { } origin
        ? new UserError($"override '{origin}': {message}", fix ?? "fix the override.")
        : new ExperimentError(file, (int)node.Start.Line, (int)node.Start.Column, message, fix);
}
