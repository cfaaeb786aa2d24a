using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
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
}

public sealed class PluginsCommand : Command<PluginsSettings>
{
    public override int Execute(CommandContext context, PluginsSettings settings, CancellationToken cancellationToken)
    {
        using var catalog = PluginCatalog.LoadDefault(settings.Extra);
        AnsiConsole.MarkupLineInterpolated($"[grey]{catalog.Assemblies.Count} plugin assemblies from {PluginCatalog.DefaultFolder}[/]");
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            var table = new Table().Title($"[bold]{kind.SectionName()}[/]")
                .AddColumn("type").AddColumn("option").AddColumn("default").AddColumn("range").AddColumn("description");
            foreach (var factory in catalog.OfKind(kind).OrderBy(f => f.Name))
            {
                table.AddRow(new Markup($"[bold]{Markup.Escape(factory.Name)}[/]"), new Text(""), new Text(""), new Text(""), new Text(factory.Description));
                foreach (var row in OptionRows(factory.OptionsType))
                    table.AddRow(new Text(""), new Text(row.Key), new Text(row.Default), new Text(row.Range), new Text(row.Description));   // plain text: descriptions hold brackets
            }
            if (PluginSpec.SectionType(kind) is { } section && table.Rows.Count > 0)
            {
                table.AddRow(new Markup("[bold](every type)[/]"), new Text(""), new Text(""), new Text(""), new Text($"Keys the host reads from any {kind.SectionName()} section."));
                foreach (var row in OptionRows(section))
                    table.AddRow(new Text(""), new Text(row.Key), new Text(row.Default), new Text(row.Range), new Text(row.Description));
            }
            if (table.Rows.Count > 0) AnsiConsole.Write(table);
        }
        return 0;
    }

    /// <summary>One row per option, nested option classes flattened with dotted keys.</summary>
    static IEnumerable<(string Key, string Default, string Range, string Description)> OptionRows(Type optionsType, object? defaults = null, string prefix = "")
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
            yield return (prefix + key, OptionProperties.FormatValue(value), range, description);
        }
    }
}
