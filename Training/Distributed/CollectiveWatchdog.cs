using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SdAE.Training.Distributed;

/// <summary>
/// Ends this process when one collective waits longer than the timeout: a rank that died or hangs
/// would otherwise leave the others blocked in MPI for ever. It prints one line naming the
/// operation and exits with <see cref="ExitCode"/> at once, without running .NET's shutdown (the
/// main thread is inside MPI); mpirun or srun then stops the other ranks.
/// </summary>
public sealed partial class CollectiveWatchdog : IDisposable
{
    /// <summary>EX_TEMPFAIL: nothing is wrong with the input; run again to resume from the last checkpoint.</summary>
    public const int ExitCode = 75;
    public const string TimeoutVariable = "SDAE_COLLECTIVE_TIMEOUT_S";

    readonly TimeSpan timeout;
    readonly int rank, size;
    readonly Timer timer;
    readonly Stopwatch clock = Stopwatch.StartNew();
    string? operation;
    long startedTicks;

    public CollectiveWatchdog(TimeSpan timeout, int rank, int size)
    {
        this.timeout = timeout;
        this.rank = rank;
        this.size = size;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 100, 1000));
        timer = new Timer(_ => Check(), null, period, period);
    }

    /// <summary>The timeout from SDAE_COLLECTIVE_TIMEOUT_S (seconds), else 300 s: longer than any step, evaluation or checkpoint a rank makes the others wait for.</summary>
    public static TimeSpan TimeoutFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(TimeoutVariable);
        if (string.IsNullOrEmpty(text)) return TimeSpan.FromSeconds(300);
        if (!double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double seconds) || seconds <= 0)
            throw new CollectivesException($"{TimeoutVariable}='{text}' is not a positive number of seconds.", $"unset it (300 s) or set e.g. {TimeoutVariable}=600.");
        return TimeSpan.FromSeconds(seconds);
    }

    public void Enter(string what)
    {
        Volatile.Write(ref startedTicks, clock.Elapsed.Ticks);
        Volatile.Write(ref operation, what);
    }

    public void Leave() => Volatile.Write(ref operation, null);

    void Check()
    {
        var what = Volatile.Read(ref operation);
        if (what is null) return;
        var waited = clock.Elapsed - TimeSpan.FromTicks(Volatile.Read(ref startedTicks));
        if (waited < timeout || Volatile.Read(ref operation) is null) return;
        Console.Error.WriteLine($"error: rank {rank} of {size} waited {waited.TotalSeconds:F0} s in {what} for the other ranks: one of them has died or hangs. " +
            $"Stopping this rank (exit {ExitCode}); run again to resume from the last checkpoint. Fix: see the other ranks' output; if they are only slow, raise {TimeoutVariable} (now {timeout.TotalSeconds:F0}).");
        Console.Error.Flush();
        _exit(ExitCode);
    }

    public void Dispose() => timer.Dispose();

    [LibraryImport("libc")]
    private static partial void _exit(int status);
}
