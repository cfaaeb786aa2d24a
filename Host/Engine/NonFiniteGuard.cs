using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// Watches every step's loss for NaN or infinity without waiting for the device: the first bad
/// step is recorded on the device and read only where the loop waits anyway (logging steps) and
/// before anything is saved, so a checkpoint never holds weights trained through a non-finite loss.
/// </summary>
public sealed class NonFiniteGuard(Device device, Func<long, double> learningRateAt) : IDisposable
{
    readonly Tensor firstBadStep = full(1, -1L, dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();

    /// <summary>Records <paramref name="step"/> (1-based) if its loss is not finite and no earlier step was.</summary>
    public void Observe(Tensor loss, long step)
    {
        using var scope = NewDisposeScope();
        var bad = loss.detach().isfinite().logical_not().reshape(1).logical_and(firstBadStep.lt(0));
        firstBadStep.masked_fill_(bad, step);
    }

    /// <summary>Stops the run, naming the step and its learning rate, if any observed loss was not finite.</summary>
    public void ThrowIfAny()
    {
        long step = firstBadStep.item<long>();
        if (step < 0) return;
        throw new UserError($"the loss became NaN or infinite at step {step} (learning rate {learningRateAt(step - 1):0.###e+00}); nothing after the last checkpoint was saved.",
            "lower pretrain.lr.base or set pretrain.clip_grad (e.g. 3.0), then run again: it resumes from the last checkpoint.");
    }

    public void Dispose() => firstBadStep.Dispose();
}
