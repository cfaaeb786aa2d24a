using SdAE.Host.Engine;

namespace SdAE.Tests.Support;

/// <summary>A display that keeps every message, for tests that check what a run says.</summary>
public sealed class RecordingDisplay : ITrainingDisplay
{
    public List<string> Lines { get; } = [];
    public void Info(string message) => Lines.Add(message);
    public void Report(string task, long done, long total, string? detail = null) { }
    public void Step(StepReport report) { }
}
