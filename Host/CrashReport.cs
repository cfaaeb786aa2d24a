namespace SdAE.Host;

/// <summary>
/// An exception nobody expected (a bug, not the user's input): its full trace goes to a file, the
/// run folder's `crash.log` when a run was open, else one in the temporary folder, and the user
/// gets one line naming it.
/// </summary>
public static class CrashReport
{
    /// <summary>The folder of the run being trained or evaluated, once it is open.</summary>
    public static string? RunFolder { get; set; }

    public static string Write(Exception e)
    {
        var text = $"{DateTime.UtcNow:O} sdae {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}\n{e}\n";
        foreach (var path in Candidates())
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.AppendAllText(path, text);
                return path;
            }
            catch (Exception io) when (io is IOException or UnauthorizedAccessException) { }
        }
        return "(nowhere: no writable folder)";
    }

    static IEnumerable<string> Candidates()
    {
        if (RunFolder is { } folder && Directory.Exists(folder)) yield return Path.Combine(folder, "crash.log");
        yield return Path.Combine(Path.GetTempPath(), $"sdae-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
    }
}
