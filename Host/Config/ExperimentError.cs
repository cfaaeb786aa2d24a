namespace SdAE.Host.Config;

/// <summary>
/// A problem a user can fix in an experiment file. Printed as one line:
/// <c>file:line:column: message Fix: ...</c>
/// </summary>
public sealed class ExperimentError(string file, int line, int column, string message, string? fix = null)
    : Exception(message)
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string? Fix { get; } = fix;

    public override string ToString() =>
        $"{File}:{Line}:{Column}: " + UserError.WithFix(Message, Fix);
}
