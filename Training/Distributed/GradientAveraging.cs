using SdAE.Abstractions.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training.Distributed;

/// <summary>
/// Averages the gradients over the ranks once per step, in one allreduce: over the optimizer's flat
/// gradient buffer when it has one (flat_adamw), else over one buffer the gradients are packed into
/// and unpacked from. Each rank's loss is the mean over its share of the global batch, so the
/// average of the ranks' gradients is the gradient of the global batch's mean.
/// </summary>
public sealed class GradientAveraging(ICollectives collectives)
{
    public bool IsActive => collectives.Size > 1;

    public void Average(IParameterOptimizer optimizer) => Reduce(optimizer, average: true);

    /// <summary>
    /// Sums the gradients over the ranks, for losses each rank scales by the global batch itself
    /// (shares of unequal size: a last, smaller batch).
    /// </summary>
    public void Sum(IParameterOptimizer optimizer) => Reduce(optimizer, average: false);

    void Reduce(IParameterOptimizer optimizer, bool average)
    {
        if (!IsActive) return;
        using var _ = no_grad();
        if (optimizer is FlatAdamW flat)
        {
            collectives.AllReduceSum(flat.FlatGradient);
            if (average) flat.FlatGradient.div_(collectives.Size);
            return;
        }
        using var scope = NewDisposeScope();
        // a parameter the loss does not reach has no gradient, on every rank alike
        var gradients = optimizer.Parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        var packed = cat(gradients.Select(g => g.reshape(-1)).ToList());
        collectives.AllReduceSum(packed);
        if (average) packed.div_(collectives.Size);
        long offset = 0;
        foreach (var gradient in gradients)
        {
            gradient.copy_(packed.narrow(0, offset, gradient.numel()).view(gradient.shape));
            offset += gradient.numel();
        }
    }
}
