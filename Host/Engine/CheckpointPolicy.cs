using SdAE.Host.Config;

namespace SdAE.Host.Engine;

/// <summary>
/// When pre-training writes a checkpoint: every `checkpoint_every` epochs and after the last one,
/// every `checkpoint_every_steps` optimizer steps, and once `checkpoint_every_minutes` have passed
/// since the last checkpoint (on its own clock; <see cref="Saved"/> restarts it).
/// </summary>
public sealed class CheckpointPolicy(PretrainOptions pretrain, TimeProvider clock)
{
    long lastSaved = clock.GetTimestamp();

    public CheckpointPolicy(PretrainOptions pretrain) : this(pretrain, TimeProvider.System) { }

    /// <summary>Mid-epoch, after optimizer step <paramref name="step"/>: the step or time trigger.</summary>
    public bool DueAfterStep(long step) =>
        (pretrain.CheckpointEverySteps > 0 && step % pretrain.CheckpointEverySteps == 0)
        || (pretrain.CheckpointEveryMinutes > 0 && clock.GetElapsedTime(lastSaved).TotalMinutes >= pretrain.CheckpointEveryMinutes);

    /// <summary>After an epoch: the epoch trigger, the last epoch, or a step or time trigger that fell on the epoch's last step.</summary>
    public bool DueAfterEpoch(int completedEpochs, long step) =>
        completedEpochs == pretrain.Epochs
        || (pretrain.CheckpointEvery > 0 && completedEpochs % pretrain.CheckpointEvery == 0)
        || DueAfterStep(step);

    /// <summary>A checkpoint was written: the time trigger counts from now.</summary>
    public void Saved() => lastSaved = clock.GetTimestamp();
}
