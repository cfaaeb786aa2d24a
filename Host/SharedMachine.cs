using System.Runtime.InteropServices;

namespace SdAE.Host;

/// <summary>
/// Running beside other processes on few cores. libtorch's OpenMP threads (libgomp) spin while they
/// wait; with two sdae processes on 2 cores each one's spinning threads steal the cores the other's
/// threads wait for, and both ran about 10x slower (docs/performance.md, "Two runs on one
/// machine"). A short spin before sleeping (GOMP_SPINCOUNT=1000) makes two runs share the cores
/// fairly at no measurable cost to a run alone.
/// </summary>
public static partial class SharedMachine
{
    public const string SpinCountVariable = "GOMP_SPINCOUNT", WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Sets the spin count in the native environment, where libgomp reads it when libtorch loads, so
    /// call this before the first tensor. A user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is kept.
    /// </summary>
    public static void LimitOpenMpSpinning()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable(SpinCountVariable) is not null || Environment.GetEnvironmentVariable(WaitPolicyVariable) is not null) return;
        // .NET keeps its own copy of the environment on Unix; libgomp reads the C library's
        setenv(SpinCountVariable, "1000", 0);
        Environment.SetEnvironmentVariable(SpinCountVariable, "1000");
    }

    /// <summary>Other sdae processes on this machine (process id and command line), from /proc; empty elsewhere.</summary>
    public static IReadOnlyList<(int ProcessId, string Command)> OtherSdaeProcesses()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc")) return [];
        var found = new List<(int, string)>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid) || pid == Environment.ProcessId) continue;
            string command;
            try { command = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            var words = command.Split(' ');
            bool isSdae = words.Length > 1 && words.Take(2).Any(w => Path.GetFileName(w) is "sdae" or "sdae.dll")
                && words.Any(w => w is "run" or "sweep" or "eval" or "bench" or "bench-cost" or "bench-data");
            if (isSdae) found.Add((pid, command));
        }
        return found;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
