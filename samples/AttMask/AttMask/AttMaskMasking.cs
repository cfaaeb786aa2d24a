using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace AttMask;

public enum AttMaskMode
{
    /// <summary>Mask the patches the teacher attends to most (AttMask-High).</summary>
    High,
    /// <summary>As high, but a share of those stays visible as hints, the next-ranked masked instead (AttMask-Hint).</summary>
    Hint,
    /// <summary>Mask the patches the teacher attends to least (AttMask-Low, the paper's control).</summary>
    Low,
}

/// <summary>What an experiment's section binds: `masking: { type: attmask, mode: hint, ratio: 0.75 }`.</summary>
public sealed class AttMaskOptions
{
    [Description("high (the most attended patches masked), hint (high with a share of them left visible as hints) or low (the least attended).")]
    public AttMaskMode Mode { get; set; } = AttMaskMode.Hint;

    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of patches masked.")]
    public double Ratio { get; set; } = 0.75;

    [Range(0.0, 1.0), Description("hint: share of the most attended patches left visible, chosen at random (AttMask-Hint: 0.1).")]
    public double Hints { get; set; } = 0.1;

    [Range(1, 1024), Description("Disjoint equal groups the masked patches are split into, in random order (one teacher view each, as multi_fold); 1: one fold.")]
    public int Folds { get; set; } = 3;
}

/// <summary>
/// AttMask (plugin `attmask`, Kakogeorgiou et al. 2022): masking guided by the teacher's last-layer
/// [CLS] attention, which the host passes as the guide (IGuidedMasking). The n = L - int(L(1 - ratio))
/// patches ranked highest are masked (high), the lowest (low), or (hint) the top n with
/// round(n x hints) of them, at random, left visible and the next-ranked masked instead, so every
/// image masks exactly n. Masked ids are in random order and cut into folds as multi_fold's are.
/// Without a guide (no teacher yet), every patch ranks alike and the plan is random masking.
/// </summary>
public sealed class AttMaskMasking(AttMaskOptions options) : IGuidedMasking
{
    public bool ProducesIds => true;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator) => Sample(batch, grid, generator, zeros(batch, grid.Count));

    public MaskPlan Sample(int batch, GridSize grid, Generator generator, Tensor guide)
    {
        int visible = (int)(grid.Count * (1 - options.Ratio)), masked = grid.Count - visible;
        if (visible < 1 || masked < 1)   // the host reports an ArgumentException at the experiment's masking section
            throw new ArgumentException($"masking.ratio {options.Ratio} leaves {visible} of {grid.Count} patches visible on a {grid} grid; keep at least one visible and one masked.");
        int foldSize = masked / options.Folds;
        if (foldSize < 1)
            throw new ArgumentException($"masking.folds {options.Folds} leaves no patch per fold: {masked} patches are masked on a {grid} grid; use fewer folds or a higher ratio.");
        Tensor shuffle;
        using (NewDisposeScope())
        {
            var noise = rand(batch, grid.Count, generator: generator);
            // rank 0 = most attended; ties (an unguided plan) broken at random
            var rank = (options.Mode == AttMaskMode.Low ? guide : -guide).add(noise * 1e-6).argsort(1).argsort(1);
            var maskedNow = rank.lt(masked);
            if (options.Mode == AttMaskMode.Hint)
            {
                int hints = (int)Math.Round(masked * options.Hints);
                // among the top n, the hints are those whose random draw ranks below `hints`; the next `hints` ranked patches are masked instead
                var drawAmongTop = where(maskedNow, noise, full_like(noise, 2.0)).argsort(1).argsort(1);
                var hinted = maskedNow.logical_and(drawAmongTop.lt(hints));
                maskedNow = maskedNow.logical_and(hinted.logical_not()).logical_or(rank.ge(masked).logical_and(rank.lt(masked + hints)));
            }
            // visible first, then masked, each group in random order
            shuffle = (maskedNow.to_type(ScalarType.Float32) + noise * 0.5).argsort(1).MoveToOuterDisposeScope();
        }
        return MaskPlan.FromShuffle(grid, shuffle, visible, ids => ids.narrow(1, 0, foldSize * options.Folds).reshape(batch, options.Folds, foldSize));
    }
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class AttMaskModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IMaskingStrategy, AttMaskMasking, AttMaskOptions>(PluginKind.Masking, "attmask",
            "AttMask: the patches the teacher's [CLS] attention ranks highest masked (high, hint with random hints, or low).");
}
