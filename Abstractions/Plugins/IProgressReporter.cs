namespace SdAE.Abstractions.Plugins;

/// <summary>Progress and messages from long plugin work (k-means, feature extraction, fine-tuning).</summary>
public interface IProgressReporter
{
    void Info(string message);
    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> units of the named task.</summary>
    void Report(string task, long done, long total, string? detail = null);
}

public sealed class NullProgressReporter : IProgressReporter
{
    public static readonly NullProgressReporter Instance = new();
    public void Info(string message) { }
    public void Report(string task, long done, long total, string? detail = null) { }
}
