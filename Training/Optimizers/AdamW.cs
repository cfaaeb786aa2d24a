using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>Parameters that share a weight decay and an lr multiplier (layer-wise decay).</summary>
public sealed record ParameterGroup(IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double WeightDecay, double LrScale = 1.0);

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected moments) over named parameter groups. State is
/// exposed by name so checkpoints can save and restore it exactly.
/// </summary>
public sealed class AdamW : IParameterOptimizer
{
    readonly IReadOnlyList<ParameterGroup> groups;
    readonly Dictionary<string, (Tensor M, Tensor V)> moments = new();
    readonly double beta1, beta2, epsilon;

    public AdamW(IReadOnlyList<ParameterGroup> groups, double beta1, double beta2, double epsilon = 1e-8)
    {
        this.groups = groups;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        foreach (var (name, parameter) in groups.SelectMany(g => g.Parameters))
            moments[name] = (zeros_like(parameter).DetachFromDisposeScope(), zeros_like(parameter).DetachFromDisposeScope());
    }

    public long StepCount { get; set; }

    public IEnumerable<Parameter> Parameters => groups.SelectMany(g => g.Parameters).Select(p => p.Parameter);

    /// <summary>Named optimizer state tensors, for checkpoints.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State =>
        moments.SelectMany(pair => new[] { ($"exp_avg.{pair.Key}", pair.Value.M), ($"exp_avg_sq.{pair.Key}", pair.Value.V) });

    public void ZeroGrad()
    {
        foreach (var parameter in Parameters)
            parameter.grad?.zero_();
    }

    public Tensor ClipGradNorm(double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gradients = Parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        var norm = stack(gradients.Select(g => g.norm())).norm();
        var scale = GradientClipping.Scale(norm, maxNorm);
        foreach (var gradient in gradients) gradient.mul_(scale);
        return norm.MoveToOuterDisposeScope();
    }

    public void Step(double lr)
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(beta1, StepCount);
        double correction2 = 1 - Math.Pow(beta2, StepCount);
        using var _ = no_grad();
        foreach (var group in groups)
        {
            double groupLr = lr * group.LrScale;
            double stepSize = groupLr / correction1;
            foreach (var (name, parameter) in group.Parameters)
            {
                var grad = parameter.grad;
                if (grad is null) continue;
                var (m, v) = moments[name];
                if (group.WeightDecay > 0) parameter.mul_(1 - groupLr * group.WeightDecay);
                m.mul_(beta1).add_(grad, alpha: 1 - beta1);
                v.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                using var denominator = v.sqrt().div_(Math.Sqrt(correction2)).add_(epsilon);
                parameter.addcdiv_(m, denominator, value: -stepSize);
            }
        }
    }

    /// <summary>
    /// Splits named parameters into a decayed group and an undecayed one (biases, norms, tokens and
    /// position embeddings: every tensor with at most one dimension or "token"/"pos_embed" in its name).
    /// </summary>
    public static IReadOnlyList<ParameterGroup> DecayGroups(IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay)
    {
        var all = parameters.Where(p => p.Parameter.requires_grad).ToList();
        var excluded = all.ToLookup(p => IsExcludedFromDecay(p.Name, p.Parameter));
        return [new ParameterGroup(excluded[false].ToList(), weightDecay), new ParameterGroup(excluded[true].ToList(), 0.0)];
    }

    public static bool IsExcludedFromDecay(string name, Tensor parameter) =>
        parameter.dim() <= 1 || name.Contains("token", StringComparison.Ordinal) || name.Contains("pos_embed", StringComparison.Ordinal);

    public void Dispose()
    {
        foreach (var (m, v) in moments.Values)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
