using SdAE.Abstractions.Randomness;
using System.Globalization;
using SdAE.Abstractions.Targets;
using SdAE.Host.Data;
using SdAE.Host.Runs;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// One pre-training epoch: seeds the epoch's random streams from (seed, epoch) so a resumed run
/// replays the same batches, masks and augmentations; prepares batches (optionally ahead, on a
/// background thread); runs the training steps and logs them; then the target's end-of-epoch hook.
/// <see cref="LogEpochEnd"/> then logs the epoch's mean loss with the health diagnostics.
/// </summary>
public sealed class EpochRunner(TrainingSession session, ITrainingDisplay display)
{
    readonly Augmentation augmentation = new(session.Experiment.DataOptions.Augment);
    readonly ScalarType? computeType = PrecisionSettings.Apply(session.Experiment.Precision, session.Environment.Device);
    readonly HealthProbe health = new(session, display);

    /// <summary>
    /// Trains epoch <c>state.CompletedEpochs + 1</c> from step <c>state.StepInEpoch</c> (a mid-epoch
    /// resume: the generators come back from the checkpoint, the augmentation draws are replayed),
    /// writing mid-epoch checkpoints when the step or time policy wants one. Returns the state after
    /// the epoch (training seconds untouched), the mean loss and the images seen in this session.
    /// </summary>
    public (TrainingState After, double MeanLoss, long Images) Run(TrainingState state, Func<double> trainSeconds)
    {
        var (experiment, pretrain, model, device) = (session.Experiment, session.Experiment.Pretrain, session.Model, session.Environment.Device);
        int epoch = state.CompletedEpochs;
        long step = state.Step, stepsPerEpoch = session.StepsPerEpoch;
        // drop path draws per image of a rank's share, so each rank has its own stream; rank 0's is a single process's
        Seeding.SeedDefaultGenerators(experiment.Seed, RandomStream.ModelNoise, epoch, session.Ranks.Rank);
        using var maskGenerator = Seeding.Generator(experiment.Seed, RandomStream.Masks, epoch);
        var augmentRandom = Seeding.Random(experiment.Seed, RandomStream.Augmentation, epoch);
        using var order = EpochBatches.Permutation(session.Environment.Train.Count, experiment.Seed, epoch);
        using var lossSum = zeros(1, device: device);
        long first = state.StepInEpoch;
        if (first > 0)
        {
            session.Generators.Restore(maskGenerator);
            augmentation.Skip(first * pretrain.Batch, session.Environment.Train.ImageSize, augmentRandom);
            lossSum.fill_(state.EpochLossSum);
        }
        Tensor PrepareBatch(long i) => HostToDevice.Pin(RankShare(i, order, augmentRandom), device);
        int prefetch = experiment.DataOptions.PrefetchFor(device);
        using var prefetcher = prefetch > 0 ? new BatchPrefetcher(stepsPerEpoch - first, i => PrepareBatch(first + i), prefetch) : null;
        var log = new StepLog(session, display);
        using var guard = new NonFiniteGuard(device, session.Schedule.At);
        model.Train(true);

        for (long i = first; i < stepsPerEpoch; i++)
        {
            using var scope = NewDisposeScope();
            using var prepared = prefetcher?.Next() ?? PrepareBatch(i);
            var images = HostToDevice.Copy(prepared, device);
            // masks are drawn for the whole global batch on every rank, so image i gets the same mask for any number of ranks
            var plan = model.Masking.Sample(pretrain.Batch, model.Encoder.Grid, maskGenerator).Rows(session.ShareStart, session.BatchPerRank).To(device);
            double lr = session.Schedule.At(step);
            var output = model.TrainStep(images, plan, session.Optimizer, lr, computeType, pretrain.ClipGrad,
                new TrainingProgress { CurrentEpoch = epoch, CompletedEpochs = epoch, TotalEpochs = pretrain.Epochs, CompletedSteps = step + 1, TotalSteps = session.Schedule.TotalSteps }, session.Gradients);
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
            if (i < stepsPerEpoch - 1 && session.StepOrTimeCheckpointDue(step))
            {
                guard.ThrowIfAny();
                session.Generators.Capture(maskGenerator);
                session.SaveCheckpoint(new TrainingState(epoch, step, trainSeconds(), i + 1, lossSum.item<float>()));
            }
        }

        model.Target.AfterEpoch(new TrainingProgress { CurrentEpoch = epoch, CompletedEpochs = epoch + 1, TotalEpochs = pretrain.Epochs, CompletedSteps = step, TotalSteps = session.Schedule.TotalSteps });
        session.Ranks.AllReduceSum(lossSum);
        double meanLoss = lossSum.item<float>() / session.Ranks.Size / stepsPerEpoch;
        return (state with { CompletedEpochs = epoch + 1, Step = step, StepInEpoch = 0, EpochLossSum = 0 }, meanLoss, (stepsPerEpoch - first) * pretrain.Batch);
    }

    /// <summary>
    /// This rank's images of global batch <paramref name="i"/>, augmented: the augmentation draws of
    /// the images before and after its share are skipped, so every image is augmented as it would be
    /// in a single process.
    /// </summary>
    Tensor RankShare(long i, Tensor order, Random augmentRandom)
    {
        var (batch, share, start) = (session.Experiment.Pretrain.Batch, session.BatchPerRank, session.ShareStart);
        int imageSize = session.Environment.Train.ImageSize;
        augmentation.Skip(start, imageSize, augmentRandom);
        var images = augmentation.Apply(session.Environment.Train.Images(order.narrow(0, i * batch + start, share)), augmentRandom);
        augmentation.Skip(batch - start - share, imageSize, augmentRandom);
        return images;
    }

    /// <summary>The epoch's line: its mean loss and the health diagnostics (not training time: the caller's clock is stopped).</summary>
    public void LogEpochEnd(TrainingState state, double meanLoss)
    {
        var values = new Dictionary<string, double> { [MetricsLog.EpochLoss] = meanLoss };
        foreach (var (name, value) in health.Measure(state.CompletedEpochs)) values[name] = value;
        session.Log(new MetricsRecord(state.Step, state.CompletedEpochs, values));
        display.Info($"epoch {state.CompletedEpochs}: " + string.Join("  ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value:0.####}"))));
    }
}
