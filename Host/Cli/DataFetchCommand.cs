using System.ComponentModel;
using SdAE.Host.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class DataFetchSettings : CommandSettings
{
    [CommandArgument(0, "<NAME>"), Description("The dataset plugin's name: fashion_mnist or mnist.")]
    public string Name { get; init; } = "";

    [CommandOption("--root <DIR>"), Description("Where the IDX files go; default data/<dataset> under the current folder, where the plugin looks when data.root is unset.")]
    public string? Root { get; init; }

    [CommandOption("--archive <FILE>"), Description("Use this already downloaded archive (the pinned .deb or .tgz) instead of downloading it.")]
    public string? Archive { get; init; }
}

/// <summary>`sdae data fetch NAME`: the datasets the shipped experiments name, for users of the tool without a checkout (scripts/fetch-data.sh does the same from one).</summary>
public sealed class DataFetchCommand : AsyncCommand<DataFetchSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DataFetchSettings settings, CancellationToken cancellationToken)
    {
        var source = DatasetSource.Known.FirstOrDefault(s => s.Name == settings.Name.Replace('-', '_'))
            ?? throw new UserError($"no dataset '{settings.Name}' to fetch; known: {string.Join(", ", DatasetSource.Known.Select(s => s.Name))}.",
                "image folders need no fetching: point data.root at them (type: image_folder).");
        var root = settings.Root ?? source.DefaultRoot;
        if (settings.Archive is null && DatasetDownload.IsPresent(source, root))
        {
            AnsiConsole.MarkupLineInterpolated($"{source.Name}: present in {Path.GetFullPath(root)}");
            return 0;
        }
        await DatasetDownload.FetchAsync(source, root, settings.Archive, line => AnsiConsole.MarkupLineInterpolated($"{line}"), cancellationToken);
        return 0;
    }
}
