using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class InverseBlockMaskingOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of patches masked (data2vec 2.0: 0.8).")]
    public double Ratio { get; set; } = 0.8;

    [Range(1, 64), Description("Side in patches of the square blocks that are kept visible.")]
    public int Block { get; set; } = 3;
}

/// <summary>
/// data2vec 2.0's inverse block masking (plugin `inverse_block`): instead of choosing blocks to mask,
/// it chooses square blocks of patches to keep visible, placed at random (they may overlap) until
/// they cover the visible count int(L(1 - ratio)); when they cover more, a random subset of the
/// covered patches stays visible. Every image keeps exactly that count, so plans carry ids.
/// </summary>
public sealed class InverseBlockMasking(InverseBlockMaskingOptions options) : IMaskingStrategy
{
    public bool ProducesIds => true;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        int visible = RandomMasking.VisibleCount(grid, options.Ratio);
        if (options.Block > grid.Rows || options.Block > grid.Columns)
            throw new ArgumentException($"inverse_block masking's {options.Block}x{options.Block} blocks do not fit a {grid} grid; choose a block of at most {Math.Min(grid.Rows, grid.Columns)}.");
        Tensor shuffle;
        using (NewDisposeScope())
        {
            var noise = rand(batch, grid.Count, generator: generator);   // orders patches within and outside the kept blocks
            // one draw from the torch generator seeds the block placement, so plans follow the generator
            var random = new Random((int)randint(int.MaxValue, [1], generator: generator).item<long>());
            var kept = tensor(KeptBlocks(batch, grid, visible, random), [batch, grid.Count]);
            shuffle = (kept + noise * 0.5).argsort(1, descending: true).MoveToOuterDisposeScope();   // kept patches first, in random order
        }
        return MaskPlan.FromShuffle(grid, shuffle, visible);
    }

    /// <summary>Per image (row-major), 1 where a kept block covers the patch: blocks placed at random until they cover <paramref name="visible"/> patches.</summary>
    float[] KeptBlocks(int batch, GridSize grid, int visible, Random random)
    {
        var kept = new float[batch * grid.Count];
        for (int b = 0; b < batch; b++)
        {
            var cells = kept.AsSpan(b * grid.Count, grid.Count);
            for (int covered = 0; covered < visible;)
            {
                int top = random.Next(grid.Rows - options.Block + 1), left = random.Next(grid.Columns - options.Block + 1);
                for (int r = top; r < top + options.Block; r++)
                    for (int c = left; c < left + options.Block; c++)
                        if (cells[r * grid.Columns + c] == 0)
                        {
                            cells[r * grid.Columns + c] = 1;
                            covered++;
                        }
            }
        }
        return kept;
    }
}
