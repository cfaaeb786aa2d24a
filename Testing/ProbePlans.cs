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
        using var noise = rand(batch, grid.Count, generator: generator);
        using var shuffle = noise.argsort(1);
        return MaskPlan.FromShuffle(grid, shuffle, visible, masked => masked.narrow(1, 0, foldSize * folds).reshape(batch, folds, foldSize));
    }
}

/// <summary>Tensor comparisons the checks use.</summary>
public static class TensorChecks
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
