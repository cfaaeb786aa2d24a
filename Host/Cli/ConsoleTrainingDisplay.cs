using System.Diagnostics;
using System.Globalization;
using SdAE.Host.Engine;
using Spectre.Console;

namespace SdAE.Host.Cli;

/// <summary>
/// Console progress: a live Spectre.Console view on a terminal; plain, throttled log lines when
/// output is redirected (CI, sweeps), so logs stay readable.
/// </summary>
public static class ConsoleTrainingDisplay
{
    public static T Run<T>(Func<ITrainingDisplay, T> body)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return body(new PlainDisplay());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            // elapsed and time left are in each line's own text: per head, and for the run until its final evaluation
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(context => result = body(new LiveDisplay(context)));
        return result;
    }

    internal static string Describe(StepReport r) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {r.Epoch}/{r.Epochs}  step {r.StepInEpoch}/{r.StepsPerEpoch}  loss {r.Loss:F4}  lr {r.LearningRate:0.00e+00}  {r.ImagesPerSecond:F0} img/s  ETA {r.Remaining:hh\\:mm\\:ss} to the final evaluation");

    sealed class LiveDisplay(ProgressContext context) : ITrainingDisplay
    {
        readonly Dictionary<string, ProgressTask> tasks = new();

        public void Info(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");

        public void Report(string task, long done, long total, string? detail = null)
        {
            var progress = Task(task, total);
            progress.Description = Markup.Escape(detail is null ? task : $"{task}: {detail}");
            progress.Value = done;
        }

        public void Step(StepReport report)
        {
            var progress = Task("pre-training", report.TotalSteps);
            progress.Description = Markup.Escape(Describe(report));
            progress.Value = report.Step;
        }

        ProgressTask Task(string name, long total)
        {
            if (!tasks.TryGetValue(name, out var task))
                tasks[name] = task = context.AddTask(Markup.Escape(name), maxValue: Math.Max(1, total));
            task.MaxValue = Math.Max(1, total);
            return task;
        }
    }

    sealed class PlainDisplay : ITrainingDisplay
    {
        static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
        readonly Stopwatch sinceLast = Stopwatch.StartNew();
        readonly Dictionary<string, Stopwatch> taskClocks = new();

        public void Info(string message) => Console.WriteLine(message);

        public void Report(string task, long done, long total, string? detail = null)
        {
            if (!taskClocks.TryGetValue(task, out var clock)) taskClocks[task] = clock = Stopwatch.StartNew();
            if (done < total && clock.Elapsed < Interval) return;
            clock.Restart();
            Console.WriteLine(detail is null ? $"{task}: {done}/{total}" : $"{task}: {detail}");
        }

        public void Step(StepReport report)
        {
            bool epochEnd = report.StepInEpoch == report.StepsPerEpoch;
            if (!epochEnd && sinceLast.Elapsed < Interval) return;
            sinceLast.Restart();
            Console.WriteLine(Describe(report));
        }
    }
}
