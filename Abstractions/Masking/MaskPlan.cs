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
    /// <summary>
    /// bool [B, G, L]: G groups of patches a target predicts group by group (I-JEPA's target blocks),
    /// or null. Group g of image b holds the patches where true; groups may differ in size (between
    /// groups and between images) and may overlap each other, and hold masked patches only (none is
    /// visible). <see cref="GroupIds"/> reads them as padded ids. Since 2.2.
    /// </summary>
    public Tensor? TargetGroups { get; init; }
    /// <summary>
    /// Masked versions of each image in the plan (<see cref="Targets.IReconstructionTarget.MasksPerImage"/>):
    /// rows r x M to r x M + M - 1 mask image r, so the plan has M rows per image. 1 unless a target asks for more. Since 2.1.
    /// </summary>
    public int MasksPerImage { get; init; } = 1;

    /// <summary>The plan's rows: images x <see cref="MasksPerImage"/>.</summary>
    public long BatchSize => Mask.shape[0];

    /// <summary>
    /// The <see cref="TargetGroups"/> as ids: int64 [B, G, n] with n the largest group, each group's
    /// patch ids ascending and padded with 0, and bool [B, G, n] true where an id is a member (not
    /// padding). In the caller's dispose scope. Since 2.2.
    /// </summary>
    public (Tensor Ids, Tensor Members) GroupIds()
    {
        var groups = TargetGroups ?? throw new InvalidOperationException("the plan has no target groups (a masking strategy that draws them, such as ijepa_blocks, fills them).");
        using var scope = NewDisposeScope();
        long count = groups.shape[2];
        var sizes = groups.sum([2], type: ScalarType.Int64);
        long largest = sizes.max().item<long>();
        // members first, each part in ascending id order: sort on (not member) * L + id
        var order = ((~groups).to(ScalarType.Int64) * count + arange(count, device: groups.device)).argsort(2).narrow(2, 0, largest);
        var members = arange(largest, device: groups.device).expand(groups.shape[0], groups.shape[1], largest) < sizes.unsqueeze(2);
        return (order.masked_fill(~members, 0).MoveToOuterDisposeScope(), members.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The plan of a per-image patch order: <paramref name="shuffle"/> int64 [B, L] holds each
    /// image's patch ids in some order; the first <paramref name="visible"/> stay visible, the rest
    /// are masked (MAE's argsort-of-noise masking is <c>FromShuffle(grid, noise.argsort(1), visible)</c>).
    /// <paramref name="folds"/>, when given, groups the masked ids [B, Nm] into folds [B, K, n].
    /// The plan's tensors live in the caller's dispose scope.
    /// </summary>
    public static MaskPlan FromShuffle(GridSize grid, Tensor shuffle, int visible, Func<Tensor, Tensor>? folds = null)
    {
        if (visible < 1 || visible >= grid.Count)
            throw new ArgumentException($"{visible} visible of {grid.Count} patches: a plan keeps at least one patch visible and one masked.");
        long batch = shuffle.shape[0];
        using var scope = NewDisposeScope();
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
            Folds = folds?.Invoke(masked)?.MoveToOuterDisposeScope(),
        };
    }
}
