using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace SdAE.Host.Config;

/// <summary>Reflection over options classes: their snake_case keys, value types and ranges, for binding and for `sdae plugins`.</summary>
public static class OptionProperties
{
    static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, PropertyInfo>> Cache = new();

    public static IReadOnlyDictionary<string, PropertyInfo> Of(Type type) => Cache.GetOrAdd(type, SdAE.Abstractions.Options.OptionKeys.Of);

    public static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(long) ||
        type == typeof(float) || type == typeof(double) || type.IsEnum;

    public static IEnumerable<(string Name, object Value)> EnumValues(Type enumType) =>
        Enum.GetValues(enumType).Cast<object>().Select(v => (NameConvention.ToSnakeCase(v.ToString()!), v));

    public static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(float) || type == typeof(double)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "text";
        if (type.IsEnum) return "one of " + string.Join(", ", EnumValues(type).Select(v => v.Name));
        if (type.IsArray) return "a list of " + Describe(type.GetElementType()!) + " values";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) return "a list";
        return "a mapping";
    }

    public static string ExampleFix(Type type, string key)
    {
        var leaf = key[(key.LastIndexOf('.') + 1)..];
        if (type.IsEnum) return $"write {leaf}: {EnumValues(type).First().Name}";
        if (type == typeof(bool)) return $"write {leaf}: true";
        if (type == typeof(int) || type == typeof(long)) return $"write a whole number, e.g. {leaf}: 4";
        return $"write a number, e.g. {leaf}: 0.5";
    }

    public static string DescribeRange(RangeAttribute range)
    {
        string Format(object bound) => Convert.ToString(bound, CultureInfo.InvariantCulture)!;
        var low = range.MinimumIsExclusive ? $"> {Format(range.Minimum)}" : $">= {Format(range.Minimum)}";
        var high = range.MaximumIsExclusive ? $"< {Format(range.Maximum)}" : $"<= {Format(range.Maximum)}";
        return range.Maximum is int.MaxValue ? low : $"{low} and {high}";
    }

    /// <summary>A value as it would be written in YAML, for listings of defaults.</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "~",
        string s => s.Length == 0 ? "\"\"" : s,
        bool b => b ? "true" : "false",
        Enum e => NameConvention.ToSnakeCase(e.ToString()),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(FormatValue)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => "{…}",
    };
}
