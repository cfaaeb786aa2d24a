using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Training;

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

    /// <param name="layout">
    /// The order of the parameters in the flat buffer; default group by group. Given in the model's
    /// own order, a module's parameters become one contiguous span, which an EMA teacher can follow
    /// in one operation (see <see cref="FlatLayout.SpanOf"/>).
    /// </param>
    public FlatAdamW(IReadOnlyList<ParameterGroup> groups, double beta1, double beta2, double epsilon = 1e-8, IEnumerable<Parameter>? layout = null)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        var groupOf = new Dictionary<Parameter, ParameterGroup>(ReferenceEqualityComparer.Instance);
        foreach (var group in groups)
            foreach (var (_, parameter) in group.Parameters)
                groupOf[parameter] = group;
        if (groupOf.Count == 0) throw new ArgumentException("no parameters to optimise");
        parameters.AddRange(layout?.Where(groupOf.ContainsKey) ?? groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)));
        if (parameters.Count != groupOf.Count || parameters.Distinct<object>(ReferenceEqualityComparer.Instance).Count() != parameters.Count)
            throw new ArgumentException("the layout must list every parameter of the groups once");

        using (no_grad())
            flat = FlatLayout.Flatten(parameters).DetachFromDisposeScope();
        var device = flat.device;
        flatGrad = zeros_like(flat).DetachFromDisposeScope();
        var scales = new float[flat.numel()];
        var decays = new float[flat.numel()];
        long offset = 0;
        foreach (var parameter in parameters)
        {
            var group = groupOf[parameter];
            long count = parameter.numel();
            parameter.grad = flatGrad.narrow(0, offset, count).view(parameter.shape);
            Array.Fill(scales, (float)group.LrScale, (int)offset, (int)count);
            Array.Fill(decays, (float)(group.WeightDecay * group.LrScale), (int)offset, (int)count);
            offset += count;
        }
        lrScale = tensor(scales).to(device).DetachFromDisposeScope();
        decay = tensor(decays).to(device).DetachFromDisposeScope();
        expAvg = zeros_like(flat).DetachFromDisposeScope();
        expAvgSq = zeros_like(flat).DetachFromDisposeScope();
    }

    public long StepCount { get; set; }
    public IEnumerable<Parameter> Parameters => parameters;
    public Tensor FlatGradient => flatGrad;

    public IEnumerable<(string Name, Tensor Tensor)> State => [("flat.exp_avg", expAvg), ("flat.exp_avg_sq", expAvgSq)];

    public void ZeroGrad() => flatGrad.zero_();

    public Tensor ClipGradNorm(double maxNorm)
    {
        using var _ = no_grad();
        var norm = flatGrad.norm();
        using var scale = GradientClipping.Scale(norm, maxNorm);
        flatGrad.mul_(scale);
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
