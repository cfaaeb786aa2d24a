using SdAE.Abstractions.Data;
using SdAE.Abstractions.Training;
using System.Diagnostics;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Reports;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>What a finished run reports.</summary>
public sealed record RunOutcome(RunFolder Folder, IReadOnlyList<HeadOutcome> Heads, IReadOnlyList<double> EpochLosses, double TrainSeconds, double ImagesPerSecond);

/// <summary>
/// The pre-training loop: composes the experiment's plugins, trains with AdamW under a warm-up +
/// cosine schedule, logs metrics, writes checkpoints atomically, resumes from the last one, runs
/// online and final evaluations, and writes results.json.
/// </summary>
/// <remarks><paramref name="stopAfterEpochs"/> ends the session early after that many completed epochs, with a checkpoint, so a later run resumes.</remarks>
public sealed class Pretrainer(LoadedExperiment loaded, ITrainingDisplay display, int? stopAfterEpochs = null)
{
    const int MaskStream = 2, TorchStream = 3, AugmentStream = 4, PictureStream = 5;

    public RunOutcome Run()
    {
        var experiment = loaded.Experiment;
        var folder = RunFolder.For(experiment);
        using var environment = RunEnvironment.Open(experiment, folder, display);
        var (device, train, test, context) = (environment.Device, environment.Train, environment.Test, environment.Context);
        folder.WriteOrCheckConfig(experiment);
        display.Info($"run folder: {folder.Path}  (train {train.Count} images, test {test.Count})");

        using var model = PretrainingModel.Build(experiment, loaded.Catalog, context);
        var pretrain = experiment.Pretrain;
        using var optimizer = CreateOptimizer(model, pretrain);
        long stepsPerEpoch = EpochBatches.StepsPerEpoch(train.Count, pretrain.Batch);
        if (pretrain.Epochs > 0 && stepsPerEpoch == 0)
            throw new UserError($"pretrain.batch {pretrain.Batch} is larger than the training set ({train.Count} images).", "use a smaller batch or more images.");
        var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(pretrain.Lr.Base, pretrain.Batch), pretrain.Lr.Min,
            (long)Math.Round(pretrain.Lr.WarmupEpochs * stepsPerEpoch), pretrain.Epochs * stepsPerEpoch);
        display.Info($"model: {Count(model.TrainableParameters().Select(p => p.Parameter)):N0} trainable parameters; " +
            $"{pretrain.Epochs} epochs x {stepsPerEpoch} steps of {pretrain.Batch}; peak lr {schedule.Peak:0.###e+00}");

        int startEpoch = 0;
        long step = 0;
        double trainSeconds = 0;
        if (folder.HasCheckpoint)
        {
            var header = Checkpoint.Load(folder.CheckpointPath, CheckpointTensors(model, optimizer));
            (startEpoch, step, optimizer.StepCount, trainSeconds) = (header.CompletedEpochs, header.Step, header.OptimizerSteps, header.TrainSeconds);
            folder.TrimMetricsAfter(step);
            display.Info($"resuming from {folder.CheckpointPath}: {startEpoch} of {pretrain.Epochs} epochs done");
            if (startEpoch >= pretrain.Epochs && File.Exists(folder.ResultsPath))
            {
                display.Info($"run already complete; results in {folder.ResultsPath}. Delete the folder or set a new 'run:' id to train again.");
                return new RunOutcome(folder, Results.Read(folder.ResultsPath), [], trainSeconds, 0);
            }
        }
        else
        {
            model.Target.Prepare(train);
        }

        var computeType = PrecisionSettings.Apply(experiment.Precision, device);
        var augmentation = new Augmentation(experiment.Data.Augment);
        var epochLosses = new List<double>();
        var clock = Stopwatch.StartNew();
        long imagesThisRun = 0;
        for (int epoch = startEpoch; epoch < pretrain.Epochs; epoch++)
        {
            Seeding.SeedAll(EpochBatches.DeriveSeed(experiment.Seed, epoch, TorchStream));
            using var maskGenerator = new Generator((ulong)EpochBatches.DeriveSeed(experiment.Seed, epoch, MaskStream));
            var augmentRandom = new Random((int)(EpochBatches.DeriveSeed(experiment.Seed, epoch, AugmentStream) & int.MaxValue));
            using var order = EpochBatches.Permutation(train.Count, experiment.Seed, epoch);
            using var lossSum = zeros(1, device: device);
            Tensor PrepareBatch(long i) => HostToDevice.Pin(augmentation.Apply(train.Images(order.narrow(0, i * pretrain.Batch, pretrain.Batch)), augmentRandom), device);
            int prefetch = experiment.Data.PrefetchFor(device);
            using var prefetcher = prefetch > 0 ? new BatchPrefetcher(stepsPerEpoch, PrepareBatch, prefetch) : null;
            model.Train(true);
            var window = Stopwatch.StartNew();
            long windowImages = 0;

            for (long i = 0; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                using var prepared = prefetcher?.Next() ?? PrepareBatch(i);
                var images = HostToDevice.Copy(prepared, device);
                var plan = model.Masking.Sample(pretrain.Batch, model.Encoder.Grid, maskGenerator).To(device);
                double lr = schedule.At(step);
                var output = model.TrainStep(images, plan, optimizer, lr, computeType, pretrain.ClipGrad,
                    new TrainingProgress(epoch, pretrain.Epochs, step + 1, schedule.TotalSteps));
                step++;
                lossSum.add_(output.Loss.Loss.detach());
                windowImages += pretrain.Batch;
                imagesThisRun += pretrain.Batch;

                if (step % pretrain.LogEvery == 0 || i == stepsPerEpoch - 1)
                {
                    double loss = output.Loss.Loss.item<float>();
                    if (!double.IsFinite(loss))
                        throw new UserError($"the loss became {loss} at epoch {epoch + 1}, step {step}.", "lower the learning rate or enable pretrain.clip_grad.");
                    double imagesPerSecond = windowImages / Math.Max(1e-9, window.Elapsed.TotalSeconds);
                    var remaining = TimeSpan.FromSeconds((schedule.TotalSteps - step) * pretrain.Batch / Math.Max(1e-9, imagesPerSecond));
                    var record = new Dictionary<string, object>
                    {
                        ["step"] = step, ["epoch"] = epoch + (i + 1.0) / stepsPerEpoch, ["loss"] = loss, ["lr"] = lr, ["images_per_second"] = imagesPerSecond,
                    };
                    foreach (var (name, value) in output.Loss.Metrics ?? new Dictionary<string, Tensor>())
                        record[name] = value.item<float>();
                    folder.AppendMetrics(record);
                    display.Step(new StepReport(epoch + 1, pretrain.Epochs, i + 1, stepsPerEpoch, step, schedule.TotalSteps, loss, lr, imagesPerSecond, remaining));
                    window.Restart();
                    windowImages = 0;
                }
            }

            model.Target.AfterEpoch(new TrainingProgress(epoch + 1, pretrain.Epochs, step, schedule.TotalSteps));
            double meanLoss = lossSum.item<float>() / stepsPerEpoch;
            epochLosses.Add(meanLoss);
            folder.AppendMetrics(new Dictionary<string, object> { ["step"] = step, ["epoch"] = epoch + 1, ["epoch_loss"] = meanLoss });
            clock.Stop();
            RunOnlineEvaluations(experiment, model, environment, epoch + 1, step, folder);
            clock.Start();

            bool last = epoch == pretrain.Epochs - 1;
            bool stopping = stopAfterEpochs is { } stop && epoch + 1 >= stop && !last;
            if (last || stopping || (pretrain.CheckpointEvery > 0 && (epoch + 1) % pretrain.CheckpointEvery == 0))
            {
                var header = new CheckpointHeader(epoch + 1, step, optimizer.StepCount, experiment.Name, trainSeconds + clock.Elapsed.TotalSeconds);
                Checkpoint.Save(folder.CheckpointPath, header, CheckpointTensors(model, optimizer));
            }
            if (stopping)
            {
                display.Info($"stopped after epoch {epoch + 1} as asked; run again to resume from {folder.CheckpointPath}");
                return new RunOutcome(folder, [], epochLosses, trainSeconds + clock.Elapsed.TotalSeconds, 0);
            }
        }
        trainSeconds += clock.Elapsed.TotalSeconds;
        double throughput = imagesThisRun / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
        if (pretrain.Epochs == 0 && !folder.HasCheckpoint)
            Checkpoint.Save(folder.CheckpointPath, new CheckpointHeader(0, 0, 0, experiment.Name, 0), CheckpointTensors(model, optimizer));

        WriteReconstructionPicture(experiment, model, test, device, folder);
        var heads = Evaluator.RunAll(experiment.Eval, loaded.Catalog, model.EncoderFor, train, test, context);
        Results.Write(folder.ResultsPath, experiment, heads, trainSeconds, throughput);
        foreach (var picture in RunPlots.Write(folder, heads)) display.Info($"plot: {picture}");
        return new RunOutcome(folder, heads, epochLosses, trainSeconds, throughput);
    }

    public static IParameterOptimizer CreateOptimizer(PretrainingModel model, PretrainOptions pretrain)
    {
        var groups = AdamW.DecayGroups(model.TrainableParameters(), pretrain.WeightDecay);
        return pretrain.Optimizer == OptimizerKind.FlatAdamw
            ? new FlatAdamW(groups, pretrain.Betas[0], pretrain.Betas[1], layout: model.TrainableParameters().Select(p => p.Parameter))
            : new AdamW(groups, pretrain.Betas[0], pretrain.Betas[1]);
    }

    public static IEnumerable<(string Name, Tensor Tensor)> CheckpointTensors(PretrainingModel model, IParameterOptimizer optimizer) =>
        model.StateTensors().Concat(optimizer.State.Select(s => ("optimizer." + s.Name, s.Tensor)));

    void RunOnlineEvaluations(Experiment experiment, PretrainingModel model, RunEnvironment environment, int epoch, long step, RunFolder folder)
    {
        var due = experiment.Eval.Where(h => h.Every > 0 && epoch % h.Every == 0 && epoch < experiment.Pretrain.Epochs).ToList();
        if (due.Count == 0) return;
        var record = new Dictionary<string, object> { ["step"] = step, ["epoch"] = epoch };
        foreach (var outcome in Evaluator.RunAll(due, loaded.Catalog, model.EncoderFor, environment.Train, environment.Test, environment.Context))
        {
            foreach (var (name, value) in outcome.Result.Metrics) record[$"{outcome.Type}_{name}"] = value;
            display.Info($"epoch {epoch}: {outcome.Type} top-1 {outcome.Result.Top1:P2}");
        }
        model.Train(true);
        folder.AppendMetrics(record);
    }

    void WriteReconstructionPicture(Experiment experiment, PretrainingModel model, Data.InMemoryImageDataset test, Device device, RunFolder folder)
    {
        int count = (int)Math.Min(experiment.Pretrain.ReconstructionImages, test.Count);
        if (count == 0 || model.Target is not IPixelReconstruction pixels) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.Train(false);
        using var generator = new Generator((ulong)EpochBatches.DeriveSeed(experiment.Seed, 0, PictureStream));
        var images = test.Images(arange(count, dtype: ScalarType.Int64)).to(device);
        var plan = model.Masking.Sample(count, model.Encoder.Grid, generator).To(device);
        var output = model.Forward(images, plan);
        var reconstruction = pixels.Reconstruct(output.Prediction, images, plan);
        var path = folder.File("reconstruction.png");
        ReconstructionPicture.Write(path, images, plan, reconstruction, model.Encoder.PatchSize, test.Normalization);
        display.Info($"reconstruction picture: {path}");
    }

    static long Count(IEnumerable<Tensor> tensors) => tensors.Sum(t => t.numel());
}
