using System.Diagnostics;
using System.Text.Json;

namespace SdAE.Host.Runs;

/// <summary>
/// One writer per run folder: `.lock` holds the owner's process id, start time and host, created
/// atomically (CreateNew) before the run writes anything. A second `sdae run` or `sdae eval` on
/// the folder is refused; a lock whose process is gone (same host, no process with that id and
/// start time) is taken over with a warning. Released on dispose.
/// </summary>
public sealed class RunLock : IDisposable
{
    public sealed record Owner(int ProcessId, string Host, DateTime ProcessStarted, DateTime Taken);

    readonly string path;

    RunLock(string path) => this.path = path;

    public static string PathIn(string runFolder) => Path.Combine(runFolder, ".lock");

    public static RunLock Take(string runFolder, Action<string> warn)
    {
        var path = PathIn(runFolder);
        Directory.CreateDirectory(runFolder);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                JsonSerializer.Serialize(stream, Me());
                return new RunLock(path);
            }
            catch (IOException) when (File.Exists(path) && attempt == 0)
            {
                var owner = Read(path);
                if (owner is not null && (owner.Host != Environment.MachineName || IsRunning(owner)))
                    throw new UserError($"run folder {runFolder} is in use by process {owner.ProcessId} on {owner.Host} (since {owner.Taken:u}).",
                        $"wait for it to finish, or give this run another 'run:' id. If that process is gone (its machine crashed), delete {path}.");
                warn(owner is null
                    ? $"warning: taking over {path}: it is unreadable (a crash while it was written)"
                    : $"warning: taking over {path}: process {owner.ProcessId} on {owner.Host}, which took it at {owner.Taken:u}, is no longer running");
                File.Delete(path);
            }
        }
    }

    public static Owner? Read(string path)
    {
        try { return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path)); }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    static Owner Me()
    {
        using var me = Process.GetCurrentProcess();
        return new Owner(me.Id, Environment.MachineName, me.StartTime.ToUniversalTime(), DateTime.UtcNow);
    }

    /// <summary>Whether the owner's process still runs: the same id and the same start time (ids are reused).</summary>
    static bool IsRunning(Owner owner)
    {
        try
        {
            using var process = Process.GetProcessById(owner.ProcessId);
            return !process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - owner.ProcessStarted).TotalSeconds) < 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
