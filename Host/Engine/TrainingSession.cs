using SdAE.Abstractions.Distributed;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Host.Runs;
using SdAE.Training;
using SdAE.Training.Distributed;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// Where pre-training stands: completed epochs, optimizer steps taken, and training seconds so far
/// (all sessions); mid-epoch, also the steps done in the current epoch and their loss sum.
/// </summary>
public sealed record TrainingState(int CompletedEpochs, long Step, double TrainSeconds, long StepInEpoch = 0, double EpochLossSum = 0);

/// <summary>
/// What one pre-training session holds: the run folder, data and device, the composed model, its
/// optimizer and lr schedule. The first two stages of the loop: <see cref="Open"/> the run and
/// <see cref="StartOrResume"/> from its checkpoint; it also writes checkpoints.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    TrainingSession(LoadedExperiment loaded, RunFolder folder, RunLock? runLock, RunEnvironment environment, PretrainingModel model,
        IParameterOptimizer optimizer, LearningRateSchedule schedule, long stepsPerEpoch, ICollectives ranks)
    {
        Ranks = ranks;
        Gradients = new GradientAveraging(ranks);
        Loaded = loaded;
        Folder = folder;
        this.runLock = runLock;
        Environment = environment;
        Model = model;
        Optimizer = optimizer;
        Schedule = schedule;
        StepsPerEpoch = stepsPerEpoch;
        tensorBoard = new TensorBoardLog(folder.TensorBoardPath);
    }

    public LoadedExperiment Loaded { get; }
    public Experiment Experiment => Loaded.Experiment;
    public RunFolder Folder { get; }
    public RunEnvironment Environment { get; }
    public PretrainingModel Model { get; }
    public IParameterOptimizer Optimizer { get; }
    public LearningRateSchedule Schedule { get; }
    public long StepsPerEpoch { get; }
    /// <summary>The processes training this run together (one without mpirun or srun); each takes its <see cref="Share"/> of every global batch.</summary>
    public ICollectives Ranks { get; }
    public GradientAveraging Gradients { get; }
    /// <summary>Only rank 0 writes the run folder; the other ranks compute the same things and keep quiet.</summary>
    public bool IsWriter => Ranks.Rank == 0;
    /// <summary>This rank's images of every global batch: where they start and how many.</summary>
    public (long Start, int Size) Share => ((long)Ranks.Rank * (Experiment.Pretrain.Batch / Ranks.Size), Experiment.Pretrain.Batch / Ranks.Size);
    /// <summary>The generator states a mid-epoch checkpoint holds.</summary>
    public GeneratorStates Generators { get; } = new();
    readonly TensorBoardLog tensorBoard;
    readonly RunLock? runLock;

    /// <summary>Appends to metrics.jsonl and mirrors the values to TensorBoard (rank 0).</summary>
    public void Log(MetricsRecord record)
    {
        if (!IsWriter) return;
        Folder.Metrics.Append(record);
        tensorBoard.Write(record);
    }

    /// <summary>The final evaluation's metrics and the training settings in TensorBoard (rank 0); results.json and config.resolved.yaml are their record.</summary>
    public void LogFinal(IReadOnlyList<HeadOutcome> heads, long step)
    {
        if (IsWriter) tensorBoard.WriteFinal(heads, step, ResolvedConfig.TrainingSettings(Experiment));
    }

    /// <summary>Opens the run folder (checking the config of a run being resumed), loads the data, builds the model and optimizer.</summary>
    public static TrainingSession Open(LoadedExperiment loaded, ITrainingDisplay display)
    {
        var experiment = loaded.Experiment;
        var folder = RunFolder.For(experiment);
        var environment = RunEnvironment.Open(experiment, loaded.Catalog, folder, display);
        PretrainingModel? model = null;
        IParameterOptimizer? optimizer = null;
        RunLock? runLock = null;
        ICollectives? ranks = null;
        try
        {
            model = PretrainingModel.Build(experiment, loaded.Catalog, environment.Context);
            model.Check(experiment, environment.Context);   // options that fail only when used fail here, before the run folder is touched
            var pretrain = experiment.Pretrain;
            ranks = DataParallel.Start(environment.Device, pretrain.Batch, display);
            if (ranks.Rank == 0)
            {
                runLock = RunLock.Take(folder.Path, display.Info);
                CrashReport.RunFolder = folder.Path;
                folder.WriteOrCheckConfig(experiment);
                folder.WriteClassNames(environment.EvalTrain.ClassNames);
                var train = environment.Train;
                new DataDescription(train.ImageSize, train.Channels, environment.EvalTrain.ClassCount, train.Normalization.Mean, train.Normalization.Std).Write(folder);
            }
            display.Info($"run folder: {folder.Path}  (train {environment.Train.Count} images, test {environment.Test?.Count ?? 0})");
            if (ranks.Size > 1 && model.Masking is IGuidedMasking)
                throw new UserError($"masking '{experiment.Masking!.Type}' reads the teacher's attention on the whole batch, and each of the {ranks.Size} ranks holds only its share of it.",
                    "run guided masking in one process (without mpirun) for now.");
            if (pretrain.Accumulate > 1 && (pretrain.Batch / ranks.Size) % pretrain.Accumulate != 0)
                throw new UserError($"each of the {ranks.Size} ranks takes {pretrain.Batch / ranks.Size} images of every batch, which {pretrain.Accumulate} micro-batches do not split.",
                    "choose pretrain.accumulate that divides the batch per rank.");
            optimizer = model.CreateOptimizer(pretrain);
            long stepsPerEpoch = EpochBatches.StepsPerEpoch(environment.Train.Count, pretrain.Batch);
            if (pretrain.Epochs > 0 && stepsPerEpoch == 0)
            {
                throw new UserError($"pretrain.batch {pretrain.Batch} is larger than the training set ({environment.Train.Count} images).", "use a smaller batch or more images.");
            }
            var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(pretrain.Lr.Base, pretrain.Batch), pretrain.Lr.Min,
                (long)Math.Round(pretrain.Lr.WarmupEpochs * stepsPerEpoch), pretrain.Epochs * stepsPerEpoch);
            display.Info($"model: {model.TrainableParameters().Sum(p => p.Parameter.numel()):N0} trainable parameters; " +
                $"{pretrain.Epochs} epochs x {stepsPerEpoch} steps of {pretrain.Batch}; peak lr {schedule.Peak:0.###e+00}");
            return new TrainingSession(loaded, folder, runLock, environment, model, optimizer, schedule, stepsPerEpoch, ranks);
        }
        catch
        {
            runLock?.Dispose();
            ranks?.Dispose();
            optimizer?.Dispose();
            model?.Dispose();
            environment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the last checkpoint if there is one (and drops metric lines it does not cover);
    /// otherwise starts the logs over (a crash before the first checkpoint leaves lines behind) and
    /// prepares the target (a k-means codebook). With several ranks, rank 0 tidies the folder, every
    /// rank reads the same checkpoint, and rank 0's state is broadcast so all ranks start identical.
    /// </summary>
    public TrainingState StartOrResume(ITrainingDisplay display)
    {
        var state = LoadOrStart(display);
        if (Ranks.Size > 1)
        {
            using var _ = no_grad();
            foreach (var (_, tensor) in CheckpointContents()) Ranks.Broadcast(tensor);
        }
        return state;
    }

    TrainingState LoadOrStart(ITrainingDisplay display)
    {
        if (IsWriter) Checkpoint.RemoveUnfinished(Folder.CheckpointPath);
        Ranks.Barrier();
        if (!Folder.HasCheckpoint)
        {
            if (IsWriter)
            {
                Folder.Metrics.Clear();
                if (Directory.Exists(Folder.TensorBoardPath)) Directory.Delete(Folder.TensorBoardPath, recursive: true);
            }
            Model.Target.Prepare(Environment.Train);
            return new TrainingState(0, 0, 0);
        }
        var (header, from) = Checkpoint.LoadLatest(Folder.CheckpointPath, Folder.PreviousCheckpointPath, CheckpointContents, display.Info);
        Optimizer.StepCount = header.OptimizerSteps;
        if (IsWriter) Folder.Metrics.TrimAfter(header.Step);
        display.Info($"resuming from {from}: {header.CompletedEpochs} of {Experiment.Pretrain.Epochs} epochs done" +
            (header.StepInEpoch > 0 ? $", and {header.StepInEpoch} of {StepsPerEpoch} steps of epoch {header.CompletedEpochs + 1}" : ""));
        return new TrainingState(header.CompletedEpochs, header.Step, header.TrainSeconds, header.StepInEpoch, header.EpochLossSum);
    }

    /// <summary>Writes the checkpoint (rank 0); mid-epoch (StepInEpoch > 0) the caller has captured the generators' states into <see cref="Generators"/>. When is the CheckpointPolicy's question.</summary>
    public void SaveCheckpoint(TrainingState state)
    {
        if (IsWriter) Checkpoint.Save(Folder.CheckpointPath, Folder.PreviousCheckpointPath,
            new CheckpointHeader(state.CompletedEpochs, state.Step, Optimizer.StepCount, Experiment.Name, state.TrainSeconds, state.StepInEpoch, state.EpochLossSum),
            CheckpointContents());
    }

    IEnumerable<(string Name, Tensor Tensor)> CheckpointContents() => Model.CheckpointTensors(Optimizer, Generators);

    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
        Environment.Dispose();
        runLock?.Dispose();
        Generators.Dispose();
        Ranks.Dispose();
    }
}
