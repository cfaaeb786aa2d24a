namespace SdAE.Host;

/// <summary>A user-fixable problem outside experiment files (missing data, no checkpoint...): one line with the fix.</summary>
public sealed class UserError(string message, string? fix = null) : Exception(message)
{
    public string? Fix { get; } = fix;
    public override string ToString() => Message + (Fix is null ? "" : $" Fix: {Fix}");
}
