using System.Diagnostics;
using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Runs;
using SdAE.Training;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// What a pre-training session reports. <see cref="Heads"/> is empty when it stopped early
/// (<see cref="Stopped"/>: asked to, or by a signal); <see cref="Reconstruction"/> (owned by the outcome) is
/// there for targets that predict pixels.
/// </summary>
public sealed record RunOutcome(RunFolder Folder, IReadOnlyList<HeadOutcome> Heads, IReadOnlyList<double> EpochLosses,
    double TrainSeconds, double ImagesPerSecond, ReconstructionSample? Reconstruction = null, bool Stopped = false) : IDisposable
{
    public void Dispose() => Reconstruction?.Dispose();
}

/// <summary>
/// The pre-training loop, top to bottom: open the run and start or resume it (TrainingSession),
/// then per epoch and step, in data-flow order: batch, mask plan, forward + backward + optimizer
/// step + the target's step hook (PretrainingModel.TrainStep), log, mid-epoch checkpoint; after each
/// epoch the target's epoch hook (a per-epoch EMA), the epoch's line with its health diagnostics,
/// online evaluation and checkpoint when due; then the final evaluation and results.json. Pictures
/// are drawn from the outcome afterwards (Reports.RunReports).
/// </summary>
/// <remarks>
/// <paramref name="stopAfterEpochs"/> ends the session early after that many completed epochs, with a checkpoint,
/// so a later run resumes; <paramref name="stop"/> (SIGINT, SIGTERM) ends it after the current step, also with one.
/// </remarks>
public sealed class Pretrainer(LoadedExperiment loaded, ITrainingDisplay display, int? stopAfterEpochs = null, StopSignal? stop = null)
{
    /// <summary>What the epochs of one session did.</summary>
    sealed record TrainingOutcome(TrainingState State, IReadOnlyList<double> EpochLosses, double ImagesPerSecond,
        bool Stopped);

    public RunOutcome Run()
    {
        using var session = TrainingSession.Open(loaded, display);
        var start = session.StartOrResume(display);
        var folder = session.Folder;
        if (folder.HasCheckpoint && start.CompletedEpochs >= session.Experiment.Pretrain.Epochs && folder.HasResults)
        {
            display.Info($"run already complete; results in {folder.ResultsPath}. " +
                "Delete the folder or set a new 'run:' id to train again.");
            return new RunOutcome(folder, folder.ReadResults().Heads, [], start.TrainSeconds, 0);
        }
        var training = TrainEpochs(session, start);
        if (training.Stopped)
        {
            display.Info(stop?.Signal is { } signal
                ? $"stopped by {signal} after step {training.State.Step}; checkpoint written; run the same command again to resume"
                : $"stopped after epoch {training.State.CompletedEpochs} as asked; run again to resume from {folder.CheckpointPath}");
            return new RunOutcome(folder, [], training.EpochLosses, training.State.TrainSeconds, training.ImagesPerSecond,
                Stopped: true);
        }
        var (heads, reconstruction) = Finish(session, training);
        if (stop?.Signal is { } late)
        {
            reconstruction?.Dispose();
            display.Info($"stopped by {late} during the final evaluation; pre-training is complete: run the same command again to evaluate");
            return new RunOutcome(folder, [], training.EpochLosses, training.State.TrainSeconds, training.ImagesPerSecond, Stopped: true);
        }
        return new RunOutcome(folder, heads, training.EpochLosses, training.State.TrainSeconds, training.ImagesPerSecond,
            reconstruction);
    }

    /// <summary>
    /// The epochs left, from <paramref name="state"/> (mid-epoch after a step checkpoint: the mask
    /// generator comes back from the checkpoint and the augmentation draws are replayed). Every
    /// epoch re-seeds its streams from (seed, epoch), so a resumed run replays the same batches,
    /// masks and augmentations. Health diagnostics and online evaluation are not training time.
    /// </summary>
    TrainingOutcome TrainEpochs(TrainingSession session, TrainingState state)
    {
        var (experiment, model, environment, ranks) = (session.Experiment, session.Model, session.Environment, session.Ranks);
        var (pretrain, device, stepsPerEpoch) = (experiment.Pretrain, environment.Device, session.StepsPerEpoch);
        var computeType = PrecisionSettings.Apply(experiment.Precision, device);
        var augmentation = new Augmentation(experiment.DataOptions.Augment);
        var checkpoints = new CheckpointPolicy(pretrain);
        var health = new HealthProbe(model, environment.HeldOut, experiment.Seed, device, display);
        var online = new OnlineEvaluation(Evaluator.For(session), experiment.Eval, pretrain.Epochs, session.Log, display);
        var log = new StepLog(session.Log, display, ranks, pretrain.Batch, pretrain.Epochs, stepsPerEpoch,
            session.Schedule.TotalSteps, online.SecondsLeft);
        var losses = new List<double>();
        double earlierSeconds = state.TrainSeconds;
        var clock = Stopwatch.StartNew();
        double TrainSeconds() => earlierSeconds + clock.Elapsed.TotalSeconds;
        long images = 0;

        while (state.CompletedEpochs < pretrain.Epochs)
        {
            int epoch = state.CompletedEpochs;
            long step = state.Step, first = state.StepInEpoch;
            // drop path draws per image of a rank's share, so each rank has its own stream (rank 0's: one process's)
            Seeding.SeedDefaultGenerators(experiment.Seed, RandomStream.ModelNoise, epoch, ranks.Rank);
            using var masks = Seeding.Generator(experiment.Seed, RandomStream.Masks, epoch);
            if (first > 0) session.Generators.Restore(masks);
            using var batches = new EpochImages(environment.Train, augmentation, pretrain.Batch, session.Share,
                experiment.Seed, epoch, first, stepsPerEpoch, experiment.DataOptions.PrefetchFor(device), device);
            using var lossSum = zeros(1, device: device).fill_(state.EpochLossSum);
            using var guard = new NonFiniteGuard(device, session.Schedule.At);
            model.Train(true);

            for (long i = first; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                var batch = batches.Batch(i);
                // masks are drawn for the whole global batch on every rank: image i's mask is the same for any number of ranks
                var plan = model.SamplePlan(pretrain.Batch, masks, batch)
                    .Rows(session.Share.Start, session.Share.Size).To(device);
                double lr = session.Schedule.At(step);
                var progress = new TrainingProgress
                {
                    CurrentEpoch = epoch, CompletedEpochs = epoch, TotalEpochs = pretrain.Epochs,
                    CompletedSteps = step + 1, TotalSteps = session.Schedule.TotalSteps,
                };
                // forward (autocast) and backward (per micro-batch with accumulate), gradient allreduce (data parallel),
                // clip, AdamW step, the target's step hook
                var output = model.TrainStep(batch, plan, session.Optimizer, lr, computeType, pretrain.ClipGrad, progress,
                    session.Gradients, pretrain.Accumulate);
                step++;
                PausePoints.Reach(PausePoints.Step);
                lossSum.add_(output.Loss.Loss.detach());
                guard.Observe(output.Loss.Loss, step);
                log.Count(pretrain.Batch);   // the global batch: every rank trained its share
                if (step % pretrain.LogEvery == 0 || i == stepsPerEpoch - 1)
                {
                    guard.ThrowIfAny();
                    log.Write(epoch, i + 1, step, lr, output.Loss);
                }
                bool signalled = StopAgreed(ranks);
                if (i < stepsPerEpoch - 1 && (signalled || checkpoints.DueAfterStep(step)))
                {
                    guard.ThrowIfAny();
                    session.Generators.Capture(masks);
                    var midEpoch = new TrainingState(epoch, step, TrainSeconds(), i + 1, lossSum.item<float>());
                    session.SaveCheckpoint(midEpoch);
                    checkpoints.Saved();
                    if (signalled) return new TrainingOutcome(midEpoch, losses, images / clock.Elapsed.TotalSeconds, Stopped: true);
                }
            }   // a signal after the epoch's last step: the epoch ends as usual, then the run stops

            model.Target.AfterEpoch(new TrainingProgress
            {
                CurrentEpoch = epoch, CompletedEpochs = epoch + 1, TotalEpochs = pretrain.Epochs,
                CompletedSteps = step, TotalSteps = session.Schedule.TotalSteps,
            });
            ranks.AllReduceSum(lossSum);
            double meanLoss = lossSum.item<float>() / ranks.Size / stepsPerEpoch;
            losses.Add(meanLoss);
            images += (stepsPerEpoch - first) * pretrain.Batch;
            state = new TrainingState(epoch + 1, step, TrainSeconds());

            clock.Stop();
            log.WriteEpoch(state.Step, state.CompletedEpochs, meanLoss, health.Measure(state.CompletedEpochs));
            online.RunIfDue(state);
            clock.Start();

            bool stopping = (stop?.Requested == true || stopAfterEpochs is { } after && state.CompletedEpochs >= after)
                && state.CompletedEpochs < pretrain.Epochs;
            if (stopping || checkpoints.DueAfterEpoch(state.CompletedEpochs, state.Step))
            {
                session.SaveCheckpoint(state);
                checkpoints.Saved();
            }
            if (stopping) return new TrainingOutcome(state, losses, images / clock.Elapsed.TotalSeconds, Stopped: true);
        }
        clock.Stop();
        state = state with { TrainSeconds = TrainSeconds() };
        return new TrainingOutcome(state, losses, images / Math.Max(1e-9, clock.Elapsed.TotalSeconds), Stopped: false);
    }

    /// <summary>
    /// Whether to stop after this step: a stop signal reached this process or, with several ranks, any of them
    /// (one small allreduce per step then, so every rank stops after the same step).
    /// </summary>
    bool StopAgreed(SdAE.Abstractions.Distributed.ICollectives ranks)
    {
        if (stop is null) return false;
        if (ranks.Size == 1) return stop.Requested;
        using var flag = tensor(stop.Requested ? 1f : 0f).reshape(1);
        ranks.AllReduceSum(flag);
        if (flag.item<float>() > 0) stop.Request(System.Runtime.InteropServices.PosixSignal.SIGTERM);
        return stop.Requested;
    }

    /// <summary>
    /// The last stage: a checkpoint even for zero epochs, the final evaluations, the reconstruction sample and
    /// results.json.
    /// </summary>
    (IReadOnlyList<HeadOutcome> Heads, ReconstructionSample? Reconstruction) Finish(TrainingSession session,
        TrainingOutcome training)
    {
        var (experiment, environment) = (session.Experiment, session.Environment);
        if (experiment.Pretrain.Epochs == 0 && !session.Folder.HasCheckpoint) session.SaveCheckpoint(training.State);
        var heads = Evaluator.For(session).Run(experiment.Eval, () => stop?.Requested == true);
        if (stop?.Requested == true) return (heads, null);   // no results.json: the next run evaluates again
        var reconstruction = ReconstructionSample.Draw(session.Model, environment.HeldOut,
            experiment.Pretrain.ReconstructionImages, experiment.Seed, environment.Device);
        if (session.IsWriter) session.Folder.WriteResults(new RunResults(experiment.Name, experiment.Run, experiment.Seed,
            experiment.Pretrain.Epochs, training.State.TrainSeconds, training.ImagesPerSecond, heads));
        session.LogFinal(heads, training.State.Step);
        return (heads, reconstruction);
    }
}
