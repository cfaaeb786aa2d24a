using SdAE.Host.Engine;
using Spectre.Console;

namespace SdAE.Host.Cli;

/// <summary>The printed summary of a run's evaluations.</summary>
public static class ResultsTable
{
    /// <summary>The table; a head's settings column lists what differs from its defaults, or every setting when <paramref name="verbose"/>.</summary>
    public static void Print(string experiment, RunOutcome outcome, bool verbose = false)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(experiment)}[/] ({Markup.Escape(outcome.Folder.Path)})")
            .AddColumn("protocol").AddColumn(new TableColumn("top-1").RightAligned()).AddColumn("settings").AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var head in outcome.Heads)
            table.AddRow(Markup.Escape(head.Label), $"{head.Result.Top1:P2}",
                Markup.Escape(Describe(verbose ? head.Settings : head.ChangedSettings ?? head.Settings)), $"{head.Seconds:F1}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"pre-training: {outcome.TrainSeconds:F0} s, {outcome.ImagesPerSecond:F0} images/s; results: {outcome.Folder.ResultsPath}");
    }

    static string Describe(IReadOnlyDictionary<string, string> settings) =>
        settings.Count == 0 ? "defaults" : string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"));
}
