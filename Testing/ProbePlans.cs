using SdAE.Abstractions.Masking;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>Mask plans for checking targets: random masking with every field a target may read (mask, ids, folds).</summary>
public static class ProbePlans
{
    /// <summary>
    /// 75% of the grid masked per image at random, the masked ids split into <paramref name="folds"/>
    /// equal folds; target groups (since 2.2) of different sizes: the folds, the first without its last id.
    /// </summary>
    public static MaskPlan MultiFold(int batch, GridSize grid, int folds = 3, ulong seed = 3)
    {
        using var generator = new Generator(seed);
        int visible = grid.Count / 4, foldSize = (grid.Count - visible) / folds;
        using var noise = rand(batch, grid.Count, generator: generator);
        using var shuffle = noise.argsort(1);
        var plan = MaskPlan.FromShuffle(grid, shuffle, visible, masked => masked.narrow(1, 0, foldSize * folds).reshape(batch, folds, foldSize));
        using var scope = NewDisposeScope();
        var groups = zeros(batch, folds, grid.Count, ScalarType.Bool).scatter_(2, plan.Folds!, ones(batch, folds, foldSize, ScalarType.Bool));
        if (foldSize > 1) groups.select(1, 0).scatter_(1, plan.Folds!.select(1, 0).narrow(1, foldSize - 1, 1), zeros(batch, 1, ScalarType.Bool));
        return new MaskPlan
        {
            Grid = grid, Mask = plan.Mask, VisibleIds = plan.VisibleIds, MaskedIds = plan.MaskedIds, RestoreIds = plan.RestoreIds, Folds = plan.Folds,
            TargetGroups = groups.MoveToOuterDisposeScope(),
        };
    }
}

/// <summary>Tensor comparisons the checks use.</summary>
public static class TensorChecks
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
