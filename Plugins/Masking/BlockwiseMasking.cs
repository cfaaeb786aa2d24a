using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class BlockwiseMaskingOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Target fraction of patches masked (BEiT: 75 of 196, about 0.4).")]
    public double Ratio { get; set; } = 0.4;

    [Range(0, 1 << 20), Description("Target masked count; overrides ratio when > 0.")]
    public int Count { get; set; }

    [Range(1, 1 << 20), Description("Smallest block area at 196 patches; scaled with the grid (4 on a 7x7 grid).")]
    public int MinPatches { get; set; } = 16;

    [Range(0.01, 1.0), Description("Smallest aspect ratio; blocks are drawn log-uniformly in [a, 1/a].")]
    public double MinAspect { get; set; } = 0.3;

    [Range(1, 100), Description("Tries to place each block before giving up on it (BEiT uses 10).")]
    public int Attempts { get; set; } = 10;
}

/// <summary>A placed block: its top-left cell and size, and how many new cells it masked.</summary>
public readonly record struct MaskBlock(int Top, int Left, int Height, int Width, int Added);

/// <summary>
/// BEiT's block-by-block masking (plugin `blockwise`): rectangles of random area (at least the
/// scaled minimum, at most the remaining budget) and log-uniform aspect ratio are added until the
/// target count is met or a block adds nothing. The count varies per image, never above the target.
/// </summary>
public sealed class BlockwiseMasking(BlockwiseMaskingOptions options) : IMaskingStrategy
{
    public bool ProducesIds => false;

    public int TargetCount(GridSize grid)
    {
        int target = options.Count > 0 ? options.Count : (int)Math.Round(grid.Count * options.Ratio);
        if (target < 1 || target >= grid.Count)
            throw new ArgumentException($"blockwise masking would mask {target} of {grid.Count} patches on a {grid} grid; choose a ratio or count that masks at least one patch and leaves one visible.");
        return target;
    }

    public int MinimumBlock(GridSize grid) => Math.Max(1, (int)Math.Round(options.MinPatches * grid.Count / 196.0));

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        // One draw from the torch generator seeds the block placement, so plans follow the generator.
        var random = new Random((int)randint(int.MaxValue, [1], generator: generator).item<long>());
        var cells = new bool[batch * grid.Count];
        for (int b = 0; b < batch; b++)
            SampleOne(grid, random, cells.AsSpan(b * grid.Count, grid.Count), null);
        return new MaskPlan { Grid = grid, Mask = tensor(cells, [batch, grid.Count]) };
    }

    /// <summary>Masks one image's cells (row-major), reporting each placed block when asked.</summary>
    public int SampleOne(GridSize grid, Random random, Span<bool> cells, List<MaskBlock>? blocks)
    {
        int target = TargetCount(grid), minimum = MinimumBlock(grid), count = 0;
        while (count < target)
        {
            var block = PlaceBlock(grid, random, cells, target - count, minimum);
            if (block.Added == 0) break;
            blocks?.Add(block);
            count += block.Added;
        }
        return count;
    }

    MaskBlock PlaceBlock(GridSize grid, Random random, Span<bool> cells, int budget, int minimum)
    {
        double logLow = Math.Log(options.MinAspect), logHigh = -logLow;
        for (int attempt = 0; attempt < options.Attempts; attempt++)
        {
            double area = minimum + (budget - minimum) * random.NextDouble();   // as random.uniform(min, budget), either order
            double aspect = Math.Exp(logLow + (logHigh - logLow) * random.NextDouble());
            int height = (int)Math.Round(Math.Sqrt(area * aspect));
            int width = (int)Math.Round(Math.Sqrt(area / aspect));
            if (height < 1 || width < 1 || height >= grid.Rows || width >= grid.Columns) continue;
            int top = random.Next(grid.Rows - height + 1), left = random.Next(grid.Columns - width + 1);
            int already = 0;
            for (int r = top; r < top + height; r++)
                for (int c = left; c < left + width; c++)
                    if (cells[r * grid.Columns + c]) already++;
            int added = height * width - already;
            if (added <= 0 || added > budget) continue;
            for (int r = top; r < top + height; r++)
                for (int c = left; c < left + width; c++)
                    cells[r * grid.Columns + c] = true;
            return new MaskBlock(top, left, height, width, added);
        }
        return default;
    }
}
