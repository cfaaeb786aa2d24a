using static TorchSharp.torch;

namespace SdAE.Abstractions.Masking;

/// <summary>
/// Which patches of each image in a batch are hidden. Tensors live in the caller's dispose scope.
/// Strategies with a fixed masked count per image (random, multi-fold) fill the id tensors;
/// strategies whose count varies per image (blockwise) fill only <see cref="Mask"/>.
/// </summary>
public sealed class MaskPlan
{
    public required GridSize Grid { get; init; }
    /// <summary>bool [B, L]: true where the patch is masked.</summary>
    public required Tensor Mask { get; init; }
    /// <summary>int64 [B, Nv]: the visible patch ids, in shuffled order.</summary>
    public Tensor? VisibleIds { get; init; }
    /// <summary>int64 [B, Nm]: the masked patch ids, in shuffled order.</summary>
    public Tensor? MaskedIds { get; init; }
    /// <summary>int64 [B, L]: for patch i, its position in cat(visible, masked); undoes the shuffle.</summary>
    public Tensor? RestoreIds { get; init; }
    /// <summary>int64 [B, K, n]: K disjoint groups of masked ids (multi-fold masking), or null.</summary>
    public Tensor? Folds { get; init; }

    public long BatchSize => Mask.shape[0];
}
