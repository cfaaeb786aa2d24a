using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Sweeps;

public enum RunState { AlreadyDone, Succeeded, Failed, NotSelected, Stopped }

public sealed record SweepRunResult(SweepRun Run, RunFolder Folder, RunState State, int ExitCode, double Seconds, string? Note = null)
{
    public string LogPath => Folder.LogPath;
}

/// <summary>
/// Runs a validated sweep. Each run's experiment is written to its run folder first (what to run),
/// then all of them are handed to the executor (where they run). A run with a results.json is
/// finished and skipped; an unfinished one resumes from its checkpoint; a failed run is reported
/// and the others go on. With <c>selected</c>, only the unfinished runs it picks run; the others
/// stay as they are (finished ones still count in the report). When <c>cancellationToken</c> is
/// cancelled (the sweep was stopped), the executor stops its runs and every run not finished is
/// <see cref="RunState.Stopped"/>: the next sweep resumes it.
/// </summary>
public static class SweepRunner
{
    public static async Task<IReadOnlyList<SweepRunResult>> RunAsync(IReadOnlyList<(SweepRun Run, Experiment Experiment)> runs,
        ISweepExecutor executor, Action<SweepRunResult, int, int> finished, Func<SweepRun, bool>? selected = null,
        CancellationToken cancellationToken = default)
    {
        var results = new SweepRunResult[runs.Count];
        int done = 0;
        void Finish(int index, SweepRunResult result)
        {
            results[index] = result;
            finished(result, ++done, runs.Count);
        }

        var pending = new List<PendingRun>();
        for (int index = 0; index < runs.Count; index++)
        {
            var (run, experiment) = runs[index];
            var folder = RunFolder.For(experiment);
            if (folder.HasResults)
            {
                Finish(index, new SweepRunResult(run, folder, RunState.AlreadyDone, 0, 0));
                continue;
            }
            if (selected is not null && !selected(run))
            {
                Finish(index, new SweepRunResult(run, folder, RunState.NotSelected, 0, 0));
                continue;
            }
            Directory.CreateDirectory(folder.Path);
            var spec = folder.File("experiment.yaml");
            AtomicFile.WriteAllText(spec, YamlOverlay.ToText(run.Experiment));
            pending.Add(new PendingRun(index, spec, folder));
        }
        try
        {
            if (pending.Count > 0)
                await executor.ExecuteAsync(pending, (run, end) =>
                {
                    bool succeeded = end.ExitCode == 0 && run.Folder.HasResults;
                    var state = succeeded ? RunState.Succeeded : cancellationToken.IsCancellationRequested ? RunState.Stopped : RunState.Failed;
                    Finish(run.Index, new SweepRunResult(runs[run.Index].Run, run.Folder, state, end.ExitCode, end.Seconds, end.Note));
                }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            foreach (var run in pending.Where(run => results[run.Index] is null))
                Finish(run.Index, new SweepRunResult(runs[run.Index].Run, run.Folder, RunState.Stopped, -1, 0));
        }
        return results;
    }
}
