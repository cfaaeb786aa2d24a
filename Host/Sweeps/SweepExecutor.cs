using System.Diagnostics;
using SdAE.Host.Runs;

namespace SdAE.Host.Sweeps;

/// <summary>A run a sweep hands to an executor: its experiment file, written into its run folder (what to run).</summary>
public sealed record PendingRun(int Index, string ExperimentPath, RunFolder Folder)
{
    public string LogPath => Folder.LogPath;
}

/// <summary>How a run ended: the exit code of `sdae run` (-1 when it never reported one), its seconds, and what the executor knows beyond that.</summary>
public sealed record RunEnd(int ExitCode, double Seconds, string? Note = null);

/// <summary>Where a sweep's runs execute: local processes, or a Slurm job array.</summary>
public interface ISweepExecutor
{
    /// <summary>Runs every pending run to its end, calling <paramref name="finished"/> as each one ends (from any thread, one call at a time).</summary>
    Task ExecuteAsync(IReadOnlyList<PendingRun> runs, Action<PendingRun, RunEnd> finished, CancellationToken cancellationToken);
}

/// <summary>The command that started this program: the sdae apphost, or `dotnet sdae.dll`; executors start `sdae run` with it.</summary>
public static class ThisProgram
{
    public static IReadOnlyList<string> Command()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var assembly = typeof(ThisProgram).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, assembly] : [process];
    }
}

/// <summary>
/// Runs each experiment as `sdae run FILE` in its own process, at most <paramref name="jobs"/> at a
/// time, so a crash in one run does not take the others down and each run's memory is returned when it ends.
/// </summary>
public sealed class LocalProcessExecutor(IReadOnlyList<string> command, int jobs = 1) : ISweepExecutor
{
    public static LocalProcessExecutor ForThisProgram(int jobs) => new(ThisProgram.Command(), jobs);

    /// <summary>
    /// Runs every pending run; when <paramref name="cancellationToken"/> is cancelled (the sweep was
    /// stopped) no further run starts, each running one is asked to stop (it writes a checkpoint and
    /// exits 143, so the next sweep resumes it) and is waited for, and then the cancellation is thrown.
    /// </summary>
    public async Task ExecuteAsync(IReadOnlyList<PendingRun> runs, Action<PendingRun, RunEnd> finished, CancellationToken cancellationToken)
    {
        var gate = new object();
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellationToken }, async (run, token) =>
        {
            var clock = Stopwatch.StartNew();
            int exitCode = await RunOneAsync(run.ExperimentPath, run.LogPath, token);
            lock (gate) finished(run, new RunEnd(exitCode, clock.Elapsed.TotalSeconds));
        });
    }

    async Task<int> RunOneAsync(string experimentPath, string logPath, CancellationToken cancellationToken)
    {
        var sessionCommand = RunSessions.Wrap(command);
        var start = new ProcessStartInfo(sessionCommand[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in sessionCommand.Skip(1).Concat(["run", experimentPath])) start.ArgumentList.Add(argument);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        await using var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"$ {string.Join(' ', start.ArgumentList.Prepend(start.FileName))}");
        using var process = new Process { StartInfo = start };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine(line);
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            if (!RunSessions.Available)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            RunSessions.Terminate(process);
        }
        process.WaitForExit();   // drains the redirected output
        return process.ExitCode;
    }
}
