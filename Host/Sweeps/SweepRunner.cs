using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Sweeps;

public enum RunState { AlreadyDone, Succeeded, Failed }

public sealed record SweepRunResult(SweepRun Run, RunFolder Folder, RunState State, int ExitCode, double Seconds)
{
    public string LogPath => Folder.File("run.log");
}

/// <summary>
/// Runs a validated sweep, at most <c>jobs</c> runs at a time. Each run's experiment is written to
/// its run folder first (what to run), then handed to the executor (where it runs). A run with a
/// results.json is finished and skipped; an unfinished one resumes from its checkpoint; a failed
/// run is reported and the others go on.
/// </summary>
public static class SweepRunner
{
    public static async Task<IReadOnlyList<SweepRunResult>> RunAsync(IReadOnlyList<(SweepRun Run, Experiment Experiment)> runs, int jobs,
        ISweepExecutor executor, Action<SweepRunResult, int, int> finished, CancellationToken cancellationToken = default)
    {
        var results = new SweepRunResult[runs.Count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, runs.Count), new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var (run, experiment) = runs[index];
                var folder = RunFolder.For(experiment);
                SweepRunResult result;
                if (folder.HasResults)
                {
                    result = new SweepRunResult(run, folder, RunState.AlreadyDone, 0, 0);
                }
                else
                {
                    Directory.CreateDirectory(folder.Path);
                    var spec = folder.File("experiment.yaml");
                    AtomicFile.WriteAllText(spec, YamlOverlay.ToText(run.Experiment));
                    var clock = Stopwatch.StartNew();
                    int exitCode = await executor.ExecuteAsync(spec, folder.File("run.log"), token);
                    bool succeeded = exitCode == 0 && folder.HasResults;
                    result = new SweepRunResult(run, folder, succeeded ? RunState.Succeeded : RunState.Failed, exitCode, clock.Elapsed.TotalSeconds);
                }
                results[index] = result;
                finished(result, Interlocked.Increment(ref done), runs.Count);
            });
        return results;
    }
}
