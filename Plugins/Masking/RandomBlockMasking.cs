using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class RandomBlockMaskingOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of the blocks masked, rounded up (SimMIM: 0.6).")]
    public double Ratio { get; set; } = 0.6;

    [Range(1, 64), Description("Block side in patches (SimMIM: 32-pixel blocks of 16-pixel patches, 2).")]
    public int Block { get; set; } = 2;
}

/// <summary>
/// SimMIM's masking (plugin `random_block`): the patch grid is cut into blocks of block x block
/// patches (blocks at the right and bottom edges are cut short when the grid does not divide), and
/// ceil(blocks x ratio) blocks per image, chosen by argsort of uniform noise, are masked whole. On
/// a grid the block divides every image masks the same count; otherwise it varies with how many
/// edge blocks are drawn, so plans carry no ids (SimMIM's encoder sees every patch).
/// </summary>
public sealed class RandomBlockMasking(RandomBlockMaskingOptions options) : IMaskingStrategy
{
    public bool ProducesIds => false;

    /// <summary>The block grid over a patch grid: rows and columns of blocks, rounded up.</summary>
    public GridSize Blocks(GridSize grid) => new((grid.Rows + options.Block - 1) / options.Block, (grid.Columns + options.Block - 1) / options.Block);

    /// <summary>Blocks masked per image, validated: at least one, and at least one left visible.</summary>
    public int MaskedBlocks(GridSize grid)
    {
        var blocks = Blocks(grid);
        int masked = (int)Math.Ceiling(blocks.Count * options.Ratio - 1e-9);
        if (blocks.Count < 2 || masked >= blocks.Count)
            throw new ArgumentException($"random_block masking of {options.Block}x{options.Block}-patch blocks on a {grid} grid has {blocks.Count} blocks and would mask {masked}; " +
                "choose a smaller block or ratio so at least one block stays visible.");
        return masked;
    }

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        var blocks = Blocks(grid);
        int masked = MaskedBlocks(grid);
        using var scope = NewDisposeScope();
        var rank = rand(batch, blocks.Count, generator: generator).argsort(1).argsort(1);   // each block's place in a random order
        var blockMask = rank.lt(masked);
        var patchMask = blockMask.reshape(batch, blocks.Rows, blocks.Columns)
            .repeat_interleave(options.Block, 1).repeat_interleave(options.Block, 2)
            .narrow(1, 0, grid.Rows).narrow(2, 0, grid.Columns)
            .reshape(batch, grid.Count);
        return new MaskPlan { Grid = grid, Mask = patchMask.contiguous().MoveToOuterDisposeScope() };
    }
}
