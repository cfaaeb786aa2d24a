using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SdAE.Host.Sweeps;

/// <summary>
/// A local sweep starts each run in a session of its own (util-linux's setsid), so a signal to the
/// sweep's process group (Ctrl-C in a terminal, `timeout`, `kill -- -PGID`) reaches the sweep alone
/// and the sweep passes exactly one SIGTERM on to each run: a run that got the group's signal and the
/// sweep's too would take the second as "end at once" (<see cref="Engine.StopSignal"/>) instead of
/// writing its checkpoint. Without setsid the runs share the sweep's group, and a stopped sweep kills them.
/// </summary>
public static partial class RunSessions
{
    static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    public static bool Available => Setsid is not null;

    /// <summary>The command, started in a new session when setsid is there.</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> command) => Setsid is null ? command : [Setsid, .. command];

    /// <summary>Asks the run to stop as `kill` would: it finishes its step, writes a checkpoint and exits 143.</summary>
    public static void Terminate(Process process)
    {
        if (kill(process.Id, Sigterm) != 0 && !process.HasExited)
            throw new InvalidOperationException($"could not signal run process {process.Id} (errno {Marshal.GetLastPInvokeError()})");
    }

    const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
