using SdAE.Abstractions.Plugins;

namespace SdAE.Host.Engine;

/// <summary>A progress snapshot of pre-training, shown live and written to metrics.jsonl.</summary>
public sealed record StepReport(int Epoch, int Epochs, long StepInEpoch, long StepsPerEpoch, long Step, long TotalSteps,
    double Loss, double LearningRate, double ImagesPerSecond, TimeSpan Remaining);

/// <summary>Where the engine reports what it is doing: a live console view, plain log lines, or nothing (tests).</summary>
public interface ITrainingDisplay : IProgressReporter
{
    void Step(StepReport report);
}

public sealed class SilentTrainingDisplay : ITrainingDisplay
{
    public static readonly SilentTrainingDisplay Instance = new();
    public void Info(string message) { }
    public void Report(string task, long done, long total, string? detail = null) { }
    public void Step(StepReport report) { }
}
