using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Training;

/// <summary>
/// AdamW over one flat buffer: every parameter becomes a view into a single contiguous tensor and
/// every gradient a view into a single gradient buffer, so an update is a handful of whole-buffer
/// operations instead of about ten small ones per parameter tensor (the per-op host overhead
/// dominates small models on a GPU). Weight decay and layer-wise lr scales become per-element
/// factors. Same maths as <see cref="AdamW"/>; its state is two flat tensors.
/// </summary>
public sealed class FlatAdamW : IParameterOptimizer
{
    readonly List<Parameter> parameters = [];
    readonly Tensor flat;
    readonly Tensor flatGrad;
    readonly Tensor lrScale;
    readonly Tensor decay;
    readonly Tensor expAvg;
    readonly Tensor expAvgSq;
    readonly double beta1, beta2, epsilon;

    public FlatAdamW(IReadOnlyList<ParameterGroup> groups, double beta1, double beta2, double epsilon = 1e-8)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        var members = groups.SelectMany(g => g.Parameters.Select(p => (p.Parameter, g))).ToList();
        if (members.Count == 0) throw new ArgumentException("no parameters to optimise");
        var device = members[0].Parameter.device;
        long total = members.Sum(m => m.Parameter.numel());
        flat = zeros(total, device: device).DetachFromDisposeScope();
        flatGrad = zeros(total, device: device).DetachFromDisposeScope();
        var scales = new float[total];
        var decays = new float[total];
        long offset = 0;
        using (no_grad())
        {
            foreach (var (parameter, group) in members)
            {
                if (parameter.dtype != ScalarType.Float32)
                    throw new ArgumentException("FlatAdamW keeps fp32 master weights; parameters must be float32");
                long count = parameter.numel();
                var slice = flat.narrow(0, offset, count);
                slice.copy_(parameter.detach().reshape(-1));
                parameter.set_(slice.view(parameter.shape));
                parameter.grad = flatGrad.narrow(0, offset, count).view(parameter.shape);
                Array.Fill(scales, (float)group.LrScale, (int)offset, (int)count);
                Array.Fill(decays, (float)(group.WeightDecay * group.LrScale), (int)offset, (int)count);
                parameters.Add(parameter);
                offset += count;
            }
        }
        lrScale = tensor(scales).to(device).DetachFromDisposeScope();
        decay = tensor(decays).to(device).DetachFromDisposeScope();
        expAvg = zeros(total, device: device).DetachFromDisposeScope();
        expAvgSq = zeros(total, device: device).DetachFromDisposeScope();
    }

    public long StepCount { get; set; }
    public IEnumerable<Parameter> Parameters => parameters;
    public Tensor FlatGradient => flatGrad;

    public IEnumerable<(string Name, Tensor Tensor)> State => [("flat.exp_avg", expAvg), ("flat.exp_avg_sq", expAvgSq)];

    public void ZeroGrad() => flatGrad.zero_();

    /// <summary>Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var _ = no_grad();
        double norm = flatGrad.norm().item<float>();
        if (norm > maxNorm) flatGrad.mul_(maxNorm / (norm + 1e-6));
        return norm;
    }

    public void Step(double lr)
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(beta1, StepCount);
        double correction2 = 1 - Math.Pow(beta2, StepCount);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        flat.addcmul_(flat, decay, value: -lr);
        expAvg.mul_(beta1).add_(flatGrad, alpha: 1 - beta1);
        expAvgSq.mul_(beta2).addcmul_(flatGrad, flatGrad, value: 1 - beta2);
        var denominator = expAvgSq.sqrt().div_(Math.Sqrt(correction2)).add_(epsilon);
        flat.addcdiv_(expAvg * lrScale, denominator, value: -lr / correction1);
    }

    public void Dispose()
    {
        foreach (var tensor in new[] { flat, flatGrad, lrScale, decay, expAvg, expAvgSq }) tensor.Dispose();
    }
}
