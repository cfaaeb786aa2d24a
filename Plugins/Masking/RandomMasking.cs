using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class RandomMaskingOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of patches masked.")]
    public double Ratio { get; set; } = 0.75;
}

/// <summary>
/// MAE's per-sample random masking (plugin `random`): noise U[0,1]^L, shuffle = argsort(noise),
/// restore = argsort(shuffle); the first int(L(1-ratio)) shuffled ids are visible, the rest masked.
/// </summary>
public sealed class RandomMasking(RandomMaskingOptions options) : IMaskingStrategy
{
    public bool ProducesIds => true;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator) => Shuffle(batch, grid, options.Ratio, generator);

    /// <summary>The visible count for a grid, validated: at least one visible and one masked token.</summary>
    public static int VisibleCount(GridSize grid, double ratio)
    {
        int visible = (int)(grid.Count * (1 - ratio));
        if (visible < 1 || visible >= grid.Count)
            throw new ArgumentException($"masking.ratio {ratio} leaves {visible} of {grid.Count} patches visible on a {grid} grid; " +
                "choose a ratio that keeps at least one patch visible and one masked.");
        return visible;
    }

    public static MaskPlan Shuffle(int batch, GridSize grid, double ratio, Generator generator, Func<Tensor, Tensor>? folds = null)
    {
        int visible = VisibleCount(grid, ratio);
        using var noise = rand(batch, grid.Count, generator: generator);
        using var shuffle = noise.argsort(1);
        return MaskPlan.FromShuffle(grid, shuffle, visible, folds);
    }
}
