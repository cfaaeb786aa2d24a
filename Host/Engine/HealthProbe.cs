using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// Health diagnostics after each epoch, on a fixed held-out batch with a fixed mask: the target's
/// loss there (for pixel targets, the reconstruction error), the effective rank of the student's
/// (and a teacher's) features, and for latent targets the spread of the targets across tokens.
/// Collapse (every image or token mapped to nearly the same vector) shows as a rank near 1 and a
/// spread near 0, and is warned about.
/// </summary>
public sealed class HealthProbe(PretrainingModel model, IImageDataset heldOut, int seed, Device device, ITrainingDisplay display)
{
    const int ProbeImages = 256;
    /// <summary>Below this share of the width, features are called collapsed.</summary>
    public const double CollapsedRankShare = 0.05;
    /// <summary>Below this, standardised latent targets barely differ between tokens.</summary>
    public const double CollapsedTargetSpread = 0.05;

    /// <summary>The diagnostics as named values for the epoch's metrics line.</summary>
    public IReadOnlyDictionary<string, double> Measure(int epoch)
    {
        var values = new Dictionary<string, double>();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.Train(false);
        var (images, plan) = model.FixedBatch(heldOut, (int)Math.Min(ProbeImages, heldOut.Count), seed, RandomStream.HealthProbe, device);
        var output = model.Forward(images, plan);
        values["probe_loss"] = output.Loss.Loss.item<float>();
        var features = model.Encoder.Features(images, FeaturePooling.Mean);
        if (!double.IsFinite(values["probe_loss"]) || !features.isfinite().all().item<bool>())
            throw new UserError($"the model gives non-finite outputs on the probe batch after epoch {epoch}: training has diverged.",
                "lower the learning rate or enable pretrain.clip_grad.");
        values["student_rank"] = EffectiveRank(features);
        if (model.Target is ITeacherProvider teacher)
            values["teacher_rank"] = EffectiveRank(teacher.Teacher.Features(images, FeaturePooling.Mean));
        var targets = model.Target.ComputeTargets(images, plan);
        if (targets.is_floating_point() && targets.dim() == 3)
            values["target_spread"] = TokenSpread(targets);
        model.Train(true);
        foreach (var warning in Warnings(epoch, values, model.Encoder.Width)) display.Info(warning);
        return values;
    }

    /// <summary>What the diagnostics of an epoch say is wrong, one line each (none when healthy).</summary>
    public static IReadOnlyList<string> Warnings(int epoch, IReadOnlyDictionary<string, double> values, int width)
    {
        var warnings = new List<string>();
        foreach (var (name, value) in values.Where(v => v.Key.EndsWith("_rank", StringComparison.Ordinal)))
            if (value < Math.Max(1.5, CollapsedRankShare * width))
                warnings.Add($"warning: epoch {epoch}: {name.Replace('_', ' ')} {value:F2} of {width}: the features have collapsed toward a few directions.");
        if (values.TryGetValue("target_spread", out var spread) && spread < CollapsedTargetSpread)
            warnings.Add($"warning: epoch {epoch}: target spread {spread:F3}: the teacher gives nearly the same target to every token, which the student predicts trivially.");
        return warnings;
    }

    /// <summary>exp(entropy of the normalised singular values) of centred features [N, D]: 1 for a single direction, D for isotropic ones.</summary>
    public static double EffectiveRank(Tensor features)
    {
        using var scope = NewDisposeScope();
        var wide = features.to(ScalarType.Float64);
        var centred = wide - wide.mean([0], keepdim: true);
        var singular = linalg.svdvals(centred);
        var total = singular.sum();
        if (total.item<double>() <= 1e-12) return 1.0;
        var p = singular / total;
        var entropy = -(p * (p + 1e-12).log()).sum();
        return entropy.exp().item<double>();
    }

    /// <summary>Mean over feature dimensions of the std across all tokens of targets [B, n, D].</summary>
    public static double TokenSpread(Tensor targets)
    {
        using var scope = NewDisposeScope();
        return targets.reshape(-1, targets.shape[^1]).to(ScalarType.Float32).std(0).mean().item<float>();
    }
}
