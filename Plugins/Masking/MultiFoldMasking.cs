using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class MultiFoldMaskingOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of patches masked.")]
    public double Ratio { get; set; } = 0.75;

    [Range(1, 1024), Description("Disjoint equal groups the masked patches are split into (one teacher view each).")]
    public int Folds { get; set; } = 3;

    [Range(0, 1 << 20), Description("Cap on masked patches given to the teacher; 0 uses all (rounded down to a multiple of folds).")]
    public int TeacherTokens { get; set; }
}

/// <summary>
/// SdAE's multi-fold masking (plugin `multi_fold`): random masking as MAE's, then the masked ids,
/// in their random order, are cut into K disjoint equal folds. If the masked count does not divide
/// by K, the largest multiple of K is used (optionally capped by teacher_tokens).
/// </summary>
public sealed class MultiFoldMasking(MultiFoldMaskingOptions options) : IMaskingStrategy
{
    public bool ProducesIds => true;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        int masked = grid.Count - RandomMasking.VisibleCount(grid, options.Ratio);
        int usable = options.TeacherTokens > 0 ? Math.Min(options.TeacherTokens, masked) : masked;
        int foldSize = usable / options.Folds;
        if (foldSize < 1)
            throw new ArgumentException($"masking.folds {options.Folds} leaves no token per fold: {usable} masked patches are used on a {grid} grid; " +
                "use fewer folds, a higher ratio, or a larger teacher_tokens.");
        return RandomMasking.Shuffle(batch, grid, options.Ratio, generator,
            maskedIds => maskedIds.narrow(1, 0, foldSize * options.Folds).reshape(batch, options.Folds, foldSize));
    }
}
