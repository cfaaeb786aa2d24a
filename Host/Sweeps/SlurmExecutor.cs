using System.Diagnostics;
using System.Globalization;
using SdAE.Host.Runs;

namespace SdAE.Host.Sweeps;

/// <summary>What each run of a sweep asks Slurm for; null or 0: the cluster's default.</summary>
public sealed record SlurmRequest(string? Partition, string? Time, int CpusPerRun, int GpusPerRun, int RanksPerRun);

/// <summary>
/// Submits a sweep's runs as one Slurm job array, a task per run (multi-rank runs start their ranks
/// with `srun --mpi=pmix`), and follows it with squeue until every task has ended. Each task appends
/// to its run's run.log and writes slurm-exit.txt (exit code and seconds) in its run folder, so no
/// accounting database is needed; a task Slurm ended before that (time limit, cancelled, node lost)
/// is reported with Slurm's state and its Slurm output file.
/// </summary>
public sealed class SlurmExecutor(IReadOnlyList<string> command, SlurmRequest request, string workFolder, Action<string> info) : ISweepExecutor
{
    public const string ExitFile = "slurm-exit.txt";
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    static readonly HashSet<string> Waiting = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING"];

    public async Task ExecuteAsync(IReadOnlyList<PendingRun> runs, Action<PendingRun, RunEnd> finished, CancellationToken cancellationToken)
    {
        foreach (var run in runs) File.Delete(run.Folder.File(ExitFile));
        Directory.CreateDirectory(workFolder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var list = Path.Combine(workFolder, $"runs-{stamp}.txt");
        File.WriteAllLines(list, runs.Select(r => Path.GetFullPath(r.ExperimentPath)));
        var script = Path.Combine(workFolder, $"array-{stamp}.sh");
        File.WriteAllText(script, JobScript(list));
        var jobId = Submit(script, runs.Count);
        info($"submitted Slurm job array {jobId} ({runs.Count} tasks); Slurm's own output: {Path.Combine(workFolder, $"slurm-{jobId}_<task>.out")}");

        var open = runs.Select((run, task) => (run, task)).ToDictionary(p => p.task, p => p.run);
        var lostSince = new Dictionary<int, Stopwatch>();
        try
        {
            while (open.Count > 0)
            {
                await Task.Delay(Poll, cancellationToken);
                var states = Queue(jobId);
                foreach (var (task, run) in open.ToList())
                {
                    var end = Ended(run, states.GetValueOrDefault(task), jobId, task, lostSince);
                    if (end is null) continue;
                    open.Remove(task);
                    finished(run, end);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Slurm.Run("scancel", [jobId]);
            throw;
        }
    }

    /// <summary>
    /// How a task ended, or null while it is queued or running. A task whose exit file has not come
    /// (Slurm ended it, or it left the queue) is given <see cref="ExitFileGrace"/> for a shared file
    /// system to show the file, then reported with Slurm's last state.
    /// </summary>
    RunEnd? Ended(PendingRun run, string? state, string jobId, int task, Dictionary<int, Stopwatch> lostSince)
    {
        var exitFile = run.Folder.File(ExitFile);
        if (File.Exists(exitFile) && File.ReadAllText(exitFile).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var code, var seconds])
            return new RunEnd(int.Parse(code, CultureInfo.InvariantCulture), double.Parse(seconds, CultureInfo.InvariantCulture));
        if (state is not null && Waiting.Contains(state)) return null;
        if (!lostSince.TryGetValue(task, out var since)) lostSince[task] = since = Stopwatch.StartNew();
        if (since.Elapsed < ExitFileGrace) return null;
        return new RunEnd(-1, 0, $"Slurm: {state ?? "left the queue"} without an exit status; see {Path.Combine(workFolder, $"slurm-{jobId}_{task}.out")}");
    }

    static readonly TimeSpan ExitFileGrace = TimeSpan.FromSeconds(10);

    /// <summary>The bash script every task runs: line (task + 1) of the run list, appended to that run's run.log.</summary>
    string JobScript(string list)
    {
        string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";
        var launch = (request.RanksPerRun > 1 ? $"srun --mpi=pmix --ntasks={request.RanksPerRun} " : "") + string.Join(' ', command.Select(Quote)) + " run";
        return $$"""
            #!/usr/bin/env bash
            # Written by `sdae sweep --executor slurm`: task i runs the experiment on line i+1 of the run list.
            set -u
            experiment=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {{Quote(list)}})
            folder=$(dirname "$experiment")
            start=$(date +%s)
            echo "\$ [Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname)] $experiment" >> "$folder/run.log"
            {{launch}} "$experiment" >> "$folder/run.log" 2>&1
            status=$?
            echo "$status $(( $(date +%s) - start ))" > "$folder/{{ExitFile}}.tmp" && mv "$folder/{{ExitFile}}.tmp" "$folder/{{ExitFile}}"
            exit $status

            """;
    }

    string Submit(string script, int tasks)
    {
        var arguments = new List<string>
        {
            "--parsable", $"--array=0-{tasks - 1}", "--job-name=sdae-sweep", $"--chdir={Directory.GetCurrentDirectory()}",
            $"--output={Path.Combine(workFolder, "slurm-%A_%a.out")}", $"--ntasks={Math.Max(1, request.RanksPerRun)}",
        };
        if (request.Partition is { Length: > 0 } partition) arguments.Add($"--partition={partition}");
        if (request.Time is { Length: > 0 } time) arguments.Add($"--time={time}");
        if (request.CpusPerRun > 0) arguments.Add($"--cpus-per-task={Math.Max(1, request.CpusPerRun / Math.Max(1, request.RanksPerRun))}");
        if (request.GpusPerRun > 0) arguments.Add($"--gpus={request.GpusPerRun}");
        arguments.Add(script);
        var result = Slurm.Run("sbatch", arguments);
        if (result.ExitCode != 0)
            throw new UserError($"sbatch refused the job array: {result.Output.Trim()}", "check --partition, --time, --cpus-per-run and --gpus-per-run against what the cluster offers (sinfo).");
        return result.Output.Trim().Split(';')[0];
    }

    /// <summary>Array task -> Slurm state for the tasks squeue still lists.</summary>
    static Dictionary<int, string> Queue(string jobId)
    {
        var result = Slurm.Run("squeue", ["-h", "-r", "-t", "all", "-j", jobId, "-o", "%K %T"]);
        var states = new Dictionary<int, string>();
        if (result.ExitCode != 0) return states;   // an array that has left the queue entirely is "invalid job id"
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var task, var state] && int.TryParse(task, out int index))
                states[index] = state;
        return states;
    }
}

/// <summary>Runs a Slurm command; a clear error when Slurm is not installed here.</summary>
public static class Slurm
{
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new UserError($"{program} was not found: --executor slurm needs Slurm's commands on PATH.",
                "run the sweep on a Slurm login node, or start a one-machine cluster with scripts/slurm-local.sh.");
        }
        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + errors.Result);
        }
    }
}
