using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Masking;

public sealed class IJepaBlockMaskingOptions : IValidatableOptions
{
    [Range(1, 16), Description("Target blocks per image, each predicted on its own (I-JEPA: 4).")]
    public int Targets { get; set; } = 4;

    [Description("Each target block's area as a fraction of the grid, [low, high], drawn uniformly (I-JEPA: 0.15-0.2).")]
    public double[] TargetScale { get; set; } = [0.15, 0.2];

    [Description("Each target block's aspect ratio (rows / columns), [low, high], drawn uniformly (I-JEPA: 0.75-1.5).")]
    public double[] TargetAspect { get; set; } = [0.75, 1.5];

    [Description("The context block's area as a fraction of the grid, [low, high]; it is square (I-JEPA: 0.85-1.0).")]
    public double[] ContextScale { get; set; } = [0.85, 1.0];

    [Range(1, 4096), Description("Fewest context patches an image may keep once the targets are taken out; draws with fewer are redrawn (I-JEPA: 10 at 14x14).")]
    public int MinContext { get; set; } = 4;

    public IEnumerable<OptionError> Validate()
    {
        foreach (var (key, range, most) in new[] { ("target_scale", TargetScale, 1.0), ("target_aspect", TargetAspect, 16.0), ("context_scale", ContextScale, 1.0) })
            if (range.Length != 2 || range[0] <= 0 || range[0] > range[1] || range[1] > most)
                yield return new(key, $"needs two values [low, high] with 0 < low <= high <= {most}, e.g. [{string.Join(", ", Defaults(key))}].");
    }

    static double[] Defaults(string key) => key switch
    {
        "target_scale" => [0.15, 0.2],
        "target_aspect" => [0.75, 1.5],
        _ => [0.85, 1.0],
    };
}

/// <summary>
/// I-JEPA's multi-block masking (plugin `ijepa_blocks`, Assran et al. 2023). Per image: M target
/// blocks, each a rectangle of random area (target_scale of the grid) and aspect ratio
/// (target_aspect), placed at random and possibly overlapping; and one square context block of
/// random area (context_scale), placed at random, from which the targets are taken out. The plan's
/// <see cref="MaskPlan.TargetGroups"/> are the M blocks (their sizes differ); its visible patches are
/// the context. An encoder that drops masked tokens needs the same count in every image, so each
/// image keeps a random subset of its context as large as the smallest context in the batch (the
/// authors' collator also cuts every context to the batch's smallest); every other patch is masked
/// and only the target blocks are predicted. A draw whose context keeps fewer than min_context
/// patches is redrawn, up to 20 times.
/// </summary>
public sealed class IJepaBlockMasking(IJepaBlockMaskingOptions options) : IMaskingStrategy
{
    const int Tries = 20;

    public bool ProducesIds => true;

    /// <summary>A block's rows and columns for an area fraction and aspect ratio (rows / columns), each within 1 and the grid's side.</summary>
    public static (int Rows, int Columns) BlockShape(GridSize grid, double scale, double aspect)
    {
        double area = scale * grid.Count;
        int rows = (int)Math.Round(Math.Sqrt(area * aspect)), columns = (int)Math.Round(Math.Sqrt(area / aspect));
        return (Math.Clamp(rows, 1, grid.Rows), Math.Clamp(columns, 1, grid.Columns));
    }

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        int targets = options.Targets;
        var groups = new bool[batch, targets, grid.Count];
        var context = new bool[batch, grid.Count];
        var drawn = new bool[batch];
        for (int attempt = 0; attempt < Tries && drawn.Contains(false); attempt++)
        {
            // per image and block: area, aspect, top, left (uniform in [0, 1)); the context is block `targets`
            using var uniforms = rand(batch, targets + 1, 4, generator: generator);
            var u = uniforms.data<float>().ToArray();
            for (int b = 0; b < batch; b++)
                if (!drawn[b]) drawn[b] = TryDraw(grid, u.AsSpan(b * (targets + 1) * 4, (targets + 1) * 4), b, groups, context);
        }
        if (drawn.Contains(false))
            throw new ArgumentException($"ijepa_blocks on a {grid} grid: in {Tries} draws, {targets} target blocks of scale [{string.Join(", ", options.TargetScale)}] left fewer than " +
                $"min_context {options.MinContext} context patches; use fewer or smaller targets, a larger context_scale or a smaller min_context.");

        using var scope = NewDisposeScope();
        var contextMask = tensor(context.Cast<bool>().ToArray(), [batch, grid.Count]);
        int visible = (int)contextMask.sum([1]).min().item<long>();
        // context patches first, each part in random order; the first `visible` stay visible
        var shuffle = (rand(batch, grid.Count, generator: generator) + (~contextMask).to(ScalarType.Float32)).argsort(1);
        var plan = MaskPlan.FromShuffle(grid, shuffle, visible);
        return new MaskPlan
        {
            Grid = grid,
            Mask = plan.Mask.MoveToOuterDisposeScope(),
            VisibleIds = plan.VisibleIds!.MoveToOuterDisposeScope(),
            MaskedIds = plan.MaskedIds!.MoveToOuterDisposeScope(),
            RestoreIds = plan.RestoreIds!.MoveToOuterDisposeScope(),
            TargetGroups = tensor(groups.Cast<bool>().ToArray(), [batch, targets, grid.Count]).MoveToOuterDisposeScope(),
        };
    }

    /// <summary>Image <paramref name="b"/>'s blocks from its uniforms; false (nothing written) when the context keeps too few patches.</summary>
    bool TryDraw(GridSize grid, ReadOnlySpan<float> u, int b, bool[,,] groups, bool[,] context)
    {
        int targets = options.Targets;
        var taken = new bool[grid.Count];
        var blocks = new List<bool[]>();
        for (int m = 0; m < targets; m++)
        {
            var shape = BlockShape(grid, Between(options.TargetScale, u[m * 4]), Between(options.TargetAspect, u[m * 4 + 1]));
            blocks.Add(Place(grid, shape, u[m * 4 + 2], u[m * 4 + 3]));
        }
        var square = BlockShape(grid, Between(options.ContextScale, u[targets * 4]), 1.0);
        var contextBlock = Place(grid, square, u[targets * 4 + 2], u[targets * 4 + 3]);
        foreach (var block in blocks)
            for (int i = 0; i < grid.Count; i++) taken[i] |= block[i];
        int kept = Enumerable.Range(0, grid.Count).Count(i => contextBlock[i] && !taken[i]);
        if (kept < options.MinContext) return false;
        for (int i = 0; i < grid.Count; i++)
        {
            context[b, i] = contextBlock[i] && !taken[i];
            for (int m = 0; m < targets; m++) groups[b, m, i] = blocks[m][i];
        }
        return true;
    }

    static double Between(double[] range, float u) => range[0] + (range[1] - range[0]) * u;

    /// <summary>A block of <paramref name="shape"/> at a uniformly drawn top-left corner, as a patch membership.</summary>
    static bool[] Place(GridSize grid, (int Rows, int Columns) shape, float top, float left)
    {
        int row0 = (int)(top * (grid.Rows - shape.Rows + 1)), column0 = (int)(left * (grid.Columns - shape.Columns + 1));
        var block = new bool[grid.Count];
        for (int r = row0; r < row0 + shape.Rows; r++)
            for (int c = column0; c < column0 + shape.Columns; c++) block[r * grid.Columns + c] = true;
        return block;
    }
}
