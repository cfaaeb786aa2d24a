using SdAE.Abstractions.Masking;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>Mask plans for checking targets: random masking with every field a target may read (mask, ids, folds).</summary>
public static class ProbePlans
{
    /// <summary>75% of the grid masked per image at random, the masked ids split into <paramref name="folds"/> equal folds.</summary>
    public static MaskPlan MultiFold(int batch, GridSize grid, int folds = 3, ulong seed = 3)
    {
        using var generator = new Generator(seed);
        int visible = grid.Count / 4, foldSize = (grid.Count - visible) / folds;
        using var scope = NewDisposeScope();
        var shuffle = rand(batch, grid.Count, generator: generator).argsort(1);
        var restore = shuffle.argsort(1);
        var masked = shuffle.narrow(1, visible, grid.Count - visible);
        var mask = ones(batch, grid.Count, ScalarType.Bool);
        mask.narrow(1, 0, visible).fill_(false);
        return new MaskPlan
        {
            Grid = grid,
            Mask = mask.gather(1, restore).MoveToOuterDisposeScope(),
            VisibleIds = shuffle.narrow(1, 0, visible).contiguous().MoveToOuterDisposeScope(),
            MaskedIds = masked.contiguous().MoveToOuterDisposeScope(),
            RestoreIds = restore.MoveToOuterDisposeScope(),
            Folds = masked.narrow(1, 0, foldSize * folds).reshape(batch, folds, foldSize).MoveToOuterDisposeScope(),
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
