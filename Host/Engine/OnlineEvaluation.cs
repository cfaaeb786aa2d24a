using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// Evaluation during pre-training: heads with `every: N` run after every N-th epoch (not the last,
/// which the final evaluation covers); each head's metrics become one line of metrics.jsonl.
/// </summary>
public sealed class OnlineEvaluation(Evaluator evaluator, IReadOnlyList<PluginSpec> heads, int totalEpochs, Action<MetricsRecord> log, ITrainingDisplay display)
{
    double secondsPerHead;
    int headsTimed;

    List<PluginSpec> DueAfter(int epoch) => heads.Where(h => h.Every > 0 && epoch % h.Every == 0 && epoch < totalEpochs).ToList();

    /// <summary>The online evaluations still to come after <paramref name="completedEpochs"/>, at the mean time a head has taken so far (0 before the first).</summary>
    public double SecondsLeft(int completedEpochs) =>
        secondsPerHead * Enumerable.Range(completedEpochs + 1, Math.Max(0, totalEpochs - completedEpochs - 1)).Sum(e => DueAfter(e).Count);

    public void RunIfDue(TrainingState state)
    {
        int epoch = state.CompletedEpochs;
        var due = DueAfter(epoch);
        if (due.Count == 0) return;
        var outcomes = evaluator.Run(due);
        foreach (var outcome in outcomes)
        {
            secondsPerHead = (secondsPerHead * headsTimed + outcome.Seconds) / (headsTimed + 1);
            headsTimed++;
        }
        foreach (var outcome in outcomes)
        {
            PausePoints.Reach(PausePoints.Evaluation);
            log(new MetricsRecord(state.Step, epoch, outcome.Result.Metrics, outcome.Label));
            display.Info($"epoch {epoch}: {outcome.Label} top-1 {outcome.Result.Top1:P2}");
        }
    }
}
