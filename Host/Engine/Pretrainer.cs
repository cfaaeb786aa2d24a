using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// What a pre-training session reports. <see cref="Heads"/> is empty when it stopped early;
/// <see cref="Reconstruction"/> (owned by the outcome) is there for targets that predict pixels.
/// </summary>
public sealed record RunOutcome(RunFolder Folder, IReadOnlyList<HeadOutcome> Heads, IReadOnlyList<double> EpochLosses,
    double TrainSeconds, double ImagesPerSecond, ReconstructionSample? Reconstruction = null) : IDisposable
{
    public void Dispose() => Reconstruction?.Dispose();
}

/// <summary>
/// The pre-training loop, in named stages: open the run, start or resume, train epochs (each
/// followed by an online evaluation and a checkpoint when due), then finish: final evaluation and
/// results.json. Pictures and plots are drawn from the outcome afterwards (Reports.RunReports).
/// </summary>
/// <remarks><paramref name="stopAfterEpochs"/> ends the session early after that many completed epochs, with a checkpoint, so a later run resumes.</remarks>
public sealed class Pretrainer(LoadedExperiment loaded, ITrainingDisplay display, int? stopAfterEpochs = null)
{
    /// <summary>What the epochs of one session did.</summary>
    sealed record TrainingOutcome(TrainingState State, IReadOnlyList<double> EpochLosses, double ImagesPerSecond, bool Stopped);

    public RunOutcome Run()
    {
        using var session = TrainingSession.Open(loaded, display);
        var start = session.StartOrResume(display);
        bool alreadyComplete = session.Folder.HasCheckpoint && start.CompletedEpochs >= session.Experiment.Pretrain.Epochs && session.Folder.HasResults;
        var training = alreadyComplete ? new TrainingOutcome(start, [], 0, Stopped: false) : TrainEpochs(session, start);
        IReadOnlyList<HeadOutcome> heads = [];
        ReconstructionSample? reconstruction = null;
        if (alreadyComplete)
        {
            display.Info($"run already complete; results in {session.Folder.ResultsPath}. Delete the folder or set a new 'run:' id to train again.");
            heads = session.Folder.ReadResults().Heads;
        }
        else if (training.Stopped)
            display.Info($"stopped after epoch {training.State.CompletedEpochs} as asked; run again to resume from {session.Folder.CheckpointPath}");
        else
            (heads, reconstruction) = Finish(session, training);
        return new RunOutcome(session.Folder, heads, training.EpochLosses, training.State.TrainSeconds, training.ImagesPerSecond, reconstruction);
    }

    /// <summary>The epochs left: train one, log it with its health diagnostics, evaluate online if due, checkpoint if due (or when stopping early). Diagnostics and online evaluation do not count as training time.</summary>
    TrainingOutcome TrainEpochs(TrainingSession session, TrainingState state)
    {
        int epochs = session.Experiment.Pretrain.Epochs;
        var epochRunner = new EpochRunner(session, display);
        var online = new OnlineEvaluation(session, display);
        var losses = new List<double>();
        var clock = Stopwatch.StartNew();
        double earlierSeconds = state.TrainSeconds;
        long images = 0;
        bool stopped = false;
        while (state.CompletedEpochs < epochs && !stopped)
        {
            (state, double loss, long epochImages) = epochRunner.Run(state, () => earlierSeconds + clock.Elapsed.TotalSeconds);
            losses.Add(loss);
            images += epochImages;
            clock.Stop();
            epochRunner.LogEpochEnd(state, loss);
            online.RunIfDue(state);
            clock.Start();
            state = state with { TrainSeconds = earlierSeconds + clock.Elapsed.TotalSeconds };
            stopped = stopAfterEpochs is { } stop && state.CompletedEpochs >= stop && state.CompletedEpochs < epochs;
            if (stopped || TrainingSession.CheckpointDue(session.Experiment.Pretrain, state.CompletedEpochs) || session.StepOrTimeCheckpointDue(state.Step))
                session.SaveCheckpoint(state);
        }
        clock.Stop();
        state = state with { TrainSeconds = earlierSeconds + clock.Elapsed.TotalSeconds };
        return new TrainingOutcome(state, losses, images / Math.Max(1e-9, clock.Elapsed.TotalSeconds), stopped);
    }

    /// <summary>The last stage: a checkpoint even for zero epochs, the final evaluations, the reconstruction sample and results.json.</summary>
    (IReadOnlyList<HeadOutcome> Heads, ReconstructionSample? Reconstruction) Finish(TrainingSession session, TrainingOutcome training)
    {
        var (experiment, environment) = (session.Experiment, session.Environment);
        if (experiment.Pretrain.Epochs == 0 && !session.Folder.HasCheckpoint) session.SaveCheckpoint(training.State);
        var heads = Evaluator.RunAll(experiment.Eval, loaded.Catalog, session.Model.EncoderFor, environment.EvalTrain, environment.EvalTest, environment.Context, session.Ranks);
        var reconstruction = ReconstructionSample.Draw(session);
        if (session.IsWriter) session.Folder.WriteResults(new RunResults(experiment.Name, experiment.Run, experiment.Seed, experiment.Pretrain.Epochs,
            training.State.TrainSeconds, training.ImagesPerSecond, heads));
        return (heads, reconstruction);
    }
}
