using System.Diagnostics;
using System.Text.Json;

namespace SdAE.Host.Runs;

/// <summary>
/// One writer per run folder, in two layers. The kernel's: `.lock.kernel` is held open with an
/// exclusive flock (FileShare.None) for the lock's life, so on this machine a second `sdae run` or
/// `sdae eval` is refused however the first one is doing, and a process that dies (SIGKILL, a crash)
/// releases it with nothing left to take over. The file's: `.lock` holds the owner's process id,
/// start time and host, created atomically (CreateNew), so a refusal names the owner and a run on
/// another machine sharing the folder (where flock may not reach) is refused too; one whose process
/// is gone (same host, kernel lock free) is taken over with a warning. Released on dispose.
/// </summary>
public sealed class RunLock : IDisposable
{
    public sealed record Owner(int ProcessId, string Host, DateTime ProcessStarted, DateTime Taken);

    readonly string path;
    readonly FileStream kernelLock;

    RunLock(string path, FileStream kernelLock) => (this.path, this.kernelLock) = (path, kernelLock);

    public static string PathIn(string runFolder) => Path.Combine(runFolder, ".lock");

    /// <summary>The file the kernel lock is taken on; never deleted (deleting a locked file lets a second process lock a new one).</summary>
    public static string KernelLockPathIn(string runFolder) => Path.Combine(runFolder, ".lock.kernel");

    public static RunLock Take(string runFolder, Action<string> warn)
    {
        var path = PathIn(runFolder);
        Directory.CreateDirectory(runFolder);
        FileStream kernelLock;
        try
        {
            kernelLock = new FileStream(KernelLockPathIn(runFolder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw InUse(runFolder, path, Read(path));
        }
        try
        {
            return TakeFile(runFolder, path, warn, kernelLock);
        }
        catch
        {
            kernelLock.Dispose();
            throw;
        }
    }

    static UserError InUse(string runFolder, string path, Owner? owner) => owner is null
        ? new UserError($"run folder {runFolder} is in use by another process on this machine.", "wait for it to finish, or give this run another 'run:' id.")
        : new UserError($"run folder {runFolder} is in use by process {owner.ProcessId} on {owner.Host} (since {owner.Taken:u}).",
            $"wait for it to finish, or give this run another 'run:' id. If that process is gone (its machine crashed), delete {path}.");

    static RunLock TakeFile(string runFolder, string path, Action<string> warn, FileStream kernelLock)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                JsonSerializer.Serialize(stream, Me());
                return new RunLock(path, kernelLock);
            }
            catch (IOException) when (File.Exists(path) && attempt == 0)
            {
                var owner = Read(path);
                if (owner is not null && (owner.Host != Environment.MachineName || IsRunning(owner)))
                    throw InUse(runFolder, path, owner);
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
        kernelLock.Dispose();
    }
}
