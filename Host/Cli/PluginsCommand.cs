using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Plugins;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class PluginsSettings : CommandSettings
{
    [CommandOption("--plugin <ASSEMBLY>"), Description("Also load this plugin assembly (repeatable).")]
    public string[] Extra { get; init; } = [];

    [CommandOption("--json"), Description("Print the listing as JSON (kind, type, description, assembly, options) for tools.")]
    public bool Json { get; init; }
}

/// <summary>
/// `sdae plugins`: every registered plugin by kind with its options. A table on a terminal; plain
/// full-width lines when the output is piped (so `grep` finds whole names); JSON with --json.
/// Plugin-provided text is always printed as text, never read as console markup.
/// </summary>
public sealed class PluginsCommand : Command<PluginsSettings>
{
    public sealed record OptionRow(string Key, string Type, string Default, string Range, string Description);
    public sealed record PluginRow(string Kind, string Type, string Description, string Assembly, IReadOnlyList<OptionRow> Options);

    public override int Execute(CommandContext context, PluginsSettings settings, CancellationToken cancellationToken)
    {
        using var catalog = PluginCatalog.LoadDefault(settings.Extra);
        var rows = Listing(catalog);
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }));
        else if (Console.IsOutputRedirected)
            WritePlain(rows);
        else
            WriteTables(rows, catalog);
        return 0;
    }

    /// <summary>Every plugin, kind by kind, then the host's own keys of the kinds that have some (as type "(every type)").</summary>
    public static IReadOnlyList<PluginRow> Listing(PluginCatalog catalog)
    {
        var rows = new List<PluginRow>();
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            var plugins = catalog.OfKind(kind).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
            rows.AddRange(plugins.Select(f => new PluginRow(kind.SectionName(), f.Name, f.Description,
                Path.GetFileName(f.ImplementationType.Assembly.Location), OptionRows(f.OptionsType).ToList())));
            if (PluginSpec.SectionType(kind) is { } section && plugins.Count > 0)
                rows.Add(new PluginRow(kind.SectionName(), "(every type)", $"Keys the host reads from any {kind.SectionName()} section.", "sdae", OptionRows(section).ToList()));
        }
        return rows;
    }

    static void WritePlain(IReadOnlyList<PluginRow> rows)
    {
        foreach (var row in rows)
        {
            Console.WriteLine($"{row.Kind} {row.Type}: {row.Description} [{row.Assembly}]");
            foreach (var option in row.Options)
                Console.WriteLine($"  {row.Kind}.{option.Key} = {option.Default}" + (option.Range.Length > 0 ? $" ({option.Range})" : "") + $": {option.Description}");
        }
    }

    static void WriteTables(IReadOnlyList<PluginRow> rows, PluginCatalog catalog)
    {
        AnsiConsole.Write(new Text($"{catalog.Assemblies.Count} plugin assemblies from {PluginCatalog.DefaultFolder}; plugin contract SdAE.Abstractions {PluginCatalog.ContractVersion.ToString(3)}\n", new Style(Color.Grey)));
        foreach (var kind in rows.GroupBy(r => r.Kind))
        {
            var table = new Table().Title(new TableTitle(kind.Key, new Style(decoration: Decoration.Bold)))
                .AddColumn("type").AddColumn("option").AddColumn("default").AddColumn("range").AddColumn("description");
            foreach (var plugin in kind)
            {
                table.AddRow(new Text(plugin.Type, new Style(decoration: Decoration.Bold)), new Text(""), new Text(""), new Text(""), new Text($"{plugin.Description} [{plugin.Assembly}]"));
                foreach (var option in plugin.Options)
                    table.AddRow(new Text(""), new Text(option.Key), new Text(option.Default), new Text(option.Range), new Text(option.Description));
            }
            AnsiConsole.Write(table);
        }
    }

    /// <summary>One row per option, nested option classes flattened with dotted keys.</summary>
    static IEnumerable<OptionRow> OptionRows(Type optionsType, object? defaults = null, string prefix = "")
    {
        defaults ??= Activator.CreateInstance(optionsType);
        foreach (var (key, property) in OptionProperties.Of(optionsType))
        {
            var value = property.GetValue(defaults);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (!OptionProperties.IsScalar(type) && !type.IsArray && !(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)))
            {
                foreach (var row in OptionRows(type, value, prefix + key + "."))
                    yield return row;
                continue;
            }
            var range = property.GetCustomAttribute<RangeAttribute>() is { } r ? OptionProperties.DescribeRange(r) : "";
            var description = property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "";
            if (type.IsEnum) description = (description + " (" + OptionProperties.Describe(type) + ")").Trim();
            yield return new OptionRow(prefix + key, OptionProperties.Describe(property.PropertyType), OptionProperties.FormatValue(value), range, description);
        }
    }
}
