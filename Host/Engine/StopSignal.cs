using System.Runtime.InteropServices;

namespace SdAE.Host.Engine;

/// <summary>
/// A graceful stop: the first SIGINT (Ctrl-C) or SIGTERM (Slurm's preemption, `kill`) asks the
/// training loop to finish its step, write a checkpoint and return; a second one ends the process
/// at once. The loop polls <see cref="Requested"/>; with several ranks it agrees on it with the
/// others, so every rank stops after the same step.
/// </summary>
public sealed class StopSignal : IDisposable
{
    /// <summary>Exit codes of a stopped run: 128 + the signal's number, as a shell reports it.</summary>
    public const int InterruptExitCode = 130, TerminateExitCode = 143;

    readonly PosixSignalRegistration[] registrations;
    readonly CancellationTokenSource requested = new();
    int received;

    /// <summary>The signal that asked for the stop, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    public bool Requested => Signal is not null;

    /// <summary>Cancelled when the stop is asked for, for code that waits rather than polls (a sweep waiting on its runs).</summary>
    public CancellationToken Token => requested.Token;

    StopSignal() => registrations =
        [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];

    /// <summary>Listens for SIGINT and SIGTERM until disposed.</summary>
    public static StopSignal Listen() => new();

    /// <summary>Asks for a stop as the signal would (tests, and a rank told by its peers).</summary>
    public void Request(PosixSignal signal)
    {
        Signal ??= signal;
        requested.Cancel();
    }

    public int ExitCode => Signal == PosixSignal.SIGINT ? InterruptExitCode : TerminateExitCode;

    void Handle(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref received) > 1) return;   // the second signal: the default action, which ends the process
        context.Cancel = true;
        Request(context.Signal);
        PausePoints.Resume();
    }

    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        requested.Dispose();
    }
}
