namespace SdAE.Host;

/// <summary>
/// Fault injection for the kill -9 tests: with SDAE_TEST_PAUSE_AT=&lt;point&gt;:&lt;n&gt; the n-th arrival at
/// that point prints "SDAE_PAUSED &lt;point&gt; &lt;n&gt; pid &lt;pid&gt;" and waits until killed or sent a stop signal, so a test can
/// SIGKILL (or SIGTERM) the process exactly there (mid-epoch, inside a checkpoint write, inside an evaluation). Unset, as outside
/// those tests, <see cref="Reach"/> is one comparison.
/// </summary>
public static class PausePoints
{
    public const string Variable = "SDAE_TEST_PAUSE_AT";
    public const string Step = "step", CheckpointWrite = "checkpoint-write", Evaluation = "evaluation";

    static readonly (string Point, int Arrival)? Target = Parse(Environment.GetEnvironmentVariable(Variable));
    static int arrivals;

    public static void Reach(string point)
    {
        if (Target is not { } target || target.Point != point) return;
        if (Interlocked.Increment(ref arrivals) != target.Arrival) return;
        Console.Out.WriteLine($"SDAE_PAUSED {point} {target.Arrival} pid {Environment.ProcessId}");
        Console.Out.Flush();
        resumed.Wait();   // forever, unless a stop signal arrives (the graceful-stop tests)
    }

    static readonly ManualResetEventSlim resumed = new();

    /// <summary>Lets a paused run go on: a stop signal arrived while it waited.</summary>
    public static void Resume() => resumed.Set();

    static (string, int)? Parse(string? value) =>
        value?.Split(':') is [var point, var count] && int.TryParse(count, out int n) ? (point, n) : null;
}
