using SdAE.Host.Engine;
using Spectre.Console;

namespace SdAE.Host.Cli;

/// <summary>The printed summary of a run's evaluations.</summary>
public static class ResultsTable
{
    public static void Print(string experiment, RunOutcome outcome)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(experiment)}[/] ({Markup.Escape(outcome.Folder.Path)})")
            .AddColumn("protocol").AddColumn(new TableColumn("top-1").RightAligned()).AddColumn("settings").AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var head in outcome.Heads)
            table.AddRow(Markup.Escape(head.Label), $"{head.Result.Top1:P2}",
                Markup.Escape(string.Join(", ", head.Settings.Select(s => $"{s.Key}={s.Value}"))), $"{head.Seconds:F1}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"pre-training: {outcome.TrainSeconds:F0} s, {outcome.ImagesPerSecond:F0} images/s; results: {outcome.Folder.ResultsPath}");
    }
}
