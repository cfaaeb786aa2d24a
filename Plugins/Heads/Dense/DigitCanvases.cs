using SdAE.Abstractions.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>How scenes are composed from a labelled set's small images (digits, Fashion-MNIST items).</summary>
/// <param name="Size">Canvas side in pixels.</param>
/// <param name="MinItems">Fewest items placed on a canvas (at least one always fits).</param>
/// <param name="MaxItems">Most items tried per canvas.</param>
/// <param name="MinScale">Smallest item side, as a multiple of the source images' side.</param>
/// <param name="MaxScale">Largest item side, as a multiple of the source images' side (capped at the canvas).</param>
/// <param name="MaxOverlap">Most a new item's box may cover of a placed one's (or it of the new one's): intersection / smaller area.</param>
/// <param name="StrokeThreshold">Pixel intensity in [0, 1] (before normalisation) above which an item pixel is a stroke: labelled, and inside its box.</param>
public sealed record CanvasRecipe(int Size, int MinItems, int MaxItems, double MinScale, double MaxScale, double MaxOverlap, double StrokeThreshold);

/// <summary>One item placed on a canvas: its class and its box, tight around its stroke pixels (x0, y0 inclusive; x1, y1 exclusive).</summary>
public sealed record PlacedItem(int Class, int X0, int Y0, int X1, int Y1);

/// <summary>
/// Scenes generated from a labelled set of small images, the same for the same seed: each canvas
/// gets MinItems to MaxItems items drawn from the set, each resized (bilinear) to a random side
/// between MinScale and MaxScale of the source side and placed at a random position where its box
/// overlaps no placed box by more than MaxOverlap (20 tries, else the item is left out). Pixels
/// combine by maximum intensity over a black background. Per-pixel labels: 0 for background, 1 +
/// class on the item's stroke pixels (a later item's strokes win where two overlap). Boxes: tight
/// around each item's stroke pixels. Images stay in the source's normalisation.
/// </summary>
public sealed class DigitCanvases : IDisposable
{
    DigitCanvases(Tensor images, Tensor labels, IReadOnlyList<IReadOnlyList<PlacedItem>> items)
    {
        Images = images;
        Labels = labels;
        Items = items;
    }

    /// <summary>float32 [N, C, S, S], normalised as the source.</summary>
    public Tensor Images { get; }
    /// <summary>int64 [N, S, S]: 0 background, 1 + class on stroke pixels.</summary>
    public Tensor Labels { get; }
    /// <summary>The items of each canvas, in placing order.</summary>
    public IReadOnlyList<IReadOnlyList<PlacedItem>> Items { get; }
    public long Count => Images.shape[0];

    public static DigitCanvases Generate(IImageDataset source, CanvasRecipe recipe, int count, Random random)
    {
        int channels = source.Channels, size = recipe.Size;
        var (mean, std) = source.Normalization;
        var background = Enumerable.Range(0, channels).Select(c => (float)((0 - mean[c]) / std[c])).ToArray();
        var pixels = new float[count * channels * size * size];
        var labels = new long[count * size * size];
        var items = new List<IReadOnlyList<PlacedItem>>(count);
        using var scope = NewDisposeScope();
        for (int n = 0; n < count; n++)
        {
            var canvas = pixels.AsSpan(n * channels * size * size, channels * size * size);
            for (int c = 0; c < channels; c++) canvas.Slice(c * size * size, size * size).Fill(background[c]);
            var labelled = labels.AsSpan(n * size * size, size * size);
            var placed = new List<PlacedItem>();
            int wanted = random.Next(recipe.MinItems, recipe.MaxItems + 1);
            for (int k = 0; k < wanted; k++)
            {
                long index = random.NextInt64(source.Count);
                int side = Math.Min(size, (int)Math.Round(source.ImageSize * (recipe.MinScale + (recipe.MaxScale - recipe.MinScale) * random.NextDouble())));
                if (Place(random, placed, side, size, recipe.MaxOverlap) is not { } at) continue;
                var item = Resize(source, index, side);
                var stroke = Strokes(item, channels, side, mean, std, recipe.StrokeThreshold);
                int label = (int)source.Labels[index].item<long>();
                if (Paste(canvas, labelled, item, stroke, channels, side, size, at, label) is { } box) placed.Add(box);
            }
            items.Add(placed);
        }
        return new DigitCanvases(tensor(pixels, [count, channels, size, size]).DetachFromDisposeScope(), tensor(labels, [count, size, size]).DetachFromDisposeScope(), items);
    }

    /// <summary>A position (x, y) for a side-pixel square whose box overlaps no placed box by more than <paramref name="maxOverlap"/>; null after 20 tries.</summary>
    static (int X, int Y)? Place(Random random, List<PlacedItem> placed, int side, int size, double maxOverlap)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            int x = random.Next(size - side + 1), y = random.Next(size - side + 1);
            bool free = placed.All(p =>
            {
                int width = Math.Min(x + side, p.X1) - Math.Max(x, p.X0), height = Math.Min(y + side, p.Y1) - Math.Max(y, p.Y0);
                if (width <= 0 || height <= 0) return true;
                double smaller = Math.Min((double)side * side, (double)(p.X1 - p.X0) * (p.Y1 - p.Y0));
                return width * height / smaller <= maxOverlap;
            });
            if (free) return (x, y);
        }
        return null;
    }

    /// <summary>The source image resized to side x side, flattened [C * side * side].</summary>
    static float[] Resize(IImageDataset source, long index, int side)
    {
        using var indices = tensor(new[] { index });
        using var image = source.Images(indices);
        using var resized = side == source.ImageSize ? image.clone()
            : nn.functional.interpolate(image, [side, side], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.contiguous().data<float>().ToArray();
    }

    /// <summary>Which pixels are strokes: the channel mean of the un-normalised intensity above the threshold.</summary>
    static bool[] Strokes(float[] item, int channels, int side, float[] mean, float[] std, double threshold)
    {
        var stroke = new bool[side * side];
        for (int i = 0; i < side * side; i++)
        {
            double intensity = 0;
            for (int c = 0; c < channels; c++) intensity += item[c * side * side + i] * std[c] + mean[c];
            stroke[i] = intensity / channels > threshold;
        }
        return stroke;
    }

    /// <summary>Pastes by maximum, labels the strokes, and returns the box tight around them (null when the item has none).</summary>
    static PlacedItem? Paste(Span<float> canvas, Span<long> labels, float[] item, bool[] stroke, int channels, int side, int size, (int X, int Y) at, int label)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (int row = 0; row < side; row++)
            for (int column = 0; column < side; column++)
            {
                int source = row * side + column, target = (at.Y + row) * size + at.X + column;
                for (int c = 0; c < channels; c++)
                    canvas[c * size * size + target] = Math.Max(canvas[c * size * size + target], item[c * side * side + source]);
                if (!stroke[source]) continue;
                labels[target] = 1 + label;
                (x0, y0, x1, y1) = (Math.Min(x0, at.X + column), Math.Min(y0, at.Y + row), Math.Max(x1, at.X + column + 1), Math.Max(y1, at.Y + row + 1));
            }
        return x1 < 0 ? null : new PlacedItem(label, x0, y0, x1, y1);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
