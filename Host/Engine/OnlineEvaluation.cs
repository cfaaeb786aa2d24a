using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// Evaluation during pre-training: heads with `every: N` run after every N-th epoch (not the last,
/// which the final evaluation covers); each head's metrics become one line of metrics.jsonl.
/// </summary>
public sealed class OnlineEvaluation(TrainingSession session, ITrainingDisplay display)
{
    public void RunIfDue(TrainingState state)
    {
        var experiment = session.Experiment;
        int epoch = state.CompletedEpochs;
        var due = experiment.Eval.Where(h => h.Every > 0 && epoch % h.Every == 0 && epoch < experiment.Pretrain.Epochs).ToList();
        if (due.Count == 0) return;
        var environment = session.Environment;
        foreach (var outcome in Evaluator.RunAll(due, session.Loaded.Catalog, session.Model.EncoderFor, environment.EvalTrain, environment.EvalTest, environment.Context, session.Ranks))
        {
            PausePoints.Reach(PausePoints.Evaluation);
            session.Log(new MetricsRecord(state.Step, epoch, outcome.Result.Metrics, outcome.Label));
            display.Info($"epoch {epoch}: {outcome.Label} top-1 {outcome.Result.Top1:P2}");
        }
        session.Model.Train(true);
    }
}
