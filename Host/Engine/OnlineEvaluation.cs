using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// Evaluation during pre-training: heads with `every: N` run after every N-th epoch (not the last,
/// which the final evaluation covers); each head's metrics become one line of metrics.jsonl.
/// </summary>
public sealed class OnlineEvaluation(Evaluator evaluator, IReadOnlyList<PluginSpec> heads, int totalEpochs, Action<MetricsRecord> log, ITrainingDisplay display)
{
    public void RunIfDue(TrainingState state)
    {
        int epoch = state.CompletedEpochs;
        var due = heads.Where(h => h.Every > 0 && epoch % h.Every == 0 && epoch < totalEpochs).ToList();
        if (due.Count == 0) return;
        foreach (var outcome in evaluator.Run(due))
        {
            PausePoints.Reach(PausePoints.Evaluation);
            log(new MetricsRecord(state.Step, epoch, outcome.Result.Metrics, outcome.Label));
            display.Info($"epoch {epoch}: {outcome.Label} top-1 {outcome.Result.Top1:P2}");
        }
    }
}
