namespace SdAE.Host;

/// <summary>A user-fixable problem outside experiment files (missing data, no checkpoint...): one line with the fix.</summary>
public sealed class UserError(string message, string? fix = null) : Exception(message)
{
    public string? Fix { get; } = fix;
    public override string ToString() => WithFix(Message, Fix);

    /// <summary>"message. Fix: fix" — the message ends as a sentence before the fix, whoever wrote it.</summary>
    public static string WithFix(string message, string? fix) =>
        fix is null ? message : (message.TrimEnd().EndsWith('.') || message.TrimEnd().EndsWith('?') ? message.TrimEnd() : message.TrimEnd() + ".") + $" Fix: {fix}";
}
