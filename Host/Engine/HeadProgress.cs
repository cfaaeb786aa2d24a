using System.Diagnostics;
using System.Globalization;
using SdAE.Abstractions.Plugins;

namespace SdAE.Host.Engine;

/// <summary>
/// A head's progress as one line named by its label: whatever tasks the head reports (k-NN's train
/// and test features, a probe's epochs) replace each other on that line, followed by the time the
/// head has taken so far; piped logs get the label in front of every line.
/// </summary>
public sealed class HeadProgress(string label, IProgressReporter inner) : IProgressReporter
{
    readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>Heads' messages name their head already ("finetune: init_from ...").</summary>
    public void Info(string message) => inner.Info(message);

    public void Report(string task, long done, long total, string? detail = null) =>
        inner.Report(label, done, total, string.Create(CultureInfo.InvariantCulture,
            $"{task} {done}/{total}{(detail is null ? "" : "  " + detail)}  {clock.Elapsed.TotalSeconds:F0} s"));
}
