using System.Diagnostics;

namespace SdAE.Host.Sweeps;

/// <summary>Where a sweep's runs execute. Today: local processes; a Slurm job array would be another implementation.</summary>
public interface ISweepExecutor
{
    /// <summary>Runs one experiment file to completion, its output going to <paramref name="logPath"/>; returns the exit code.</summary>
    Task<int> ExecuteAsync(string experimentPath, string logPath, CancellationToken cancellationToken);
}

/// <summary>
/// Runs each experiment as `sdae run FILE` in its own process, so a crash in one run does not take
/// the others down and each run's memory is returned when it ends.
/// </summary>
public sealed class LocalProcessExecutor(IReadOnlyList<string> command) : ISweepExecutor
{
    /// <summary>The command that started this program: the sdae apphost, or `dotnet sdae.dll`.</summary>
    public static LocalProcessExecutor ForThisProgram()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var assembly = typeof(LocalProcessExecutor).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new LocalProcessExecutor([process, assembly])
            : new LocalProcessExecutor([process]);
    }

    public async Task<int> ExecuteAsync(string experimentPath, string logPath, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1).Concat(["run", experimentPath])) start.ArgumentList.Add(argument);
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
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit();   // drains the redirected output
        return process.ExitCode;
    }
}
