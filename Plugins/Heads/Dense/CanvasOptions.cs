using SdAE.Abstractions.Randomness;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>The generated scenes a dense head trains and tests on (see <see cref="DigitCanvases"/>): train canvases from the labelled set's training split, test canvases from its test split.</summary>
public class CanvasOptions
{
    [Range(8, 1024), Description("Canvas side in pixels (rounded up to a multiple of the encoder's patch).")]
    public int CanvasSize { get; set; } = 64;

    [Range(1, 1_000_000), Description("Training canvases, built from the training split's images.")]
    public int TrainCanvases { get; set; } = 1000;

    [Range(1, 1_000_000), Description("Test canvases, built from the test split's images.")]
    public int TestCanvases { get; set; } = 250;

    [Range(1, 64), Description("Fewest items per canvas.")]
    public int MinItems { get; set; } = 1;

    [Range(1, 64), Description("Most items per canvas.")]
    public int MaxItems { get; set; } = 4;

    [Range(0.1, 16.0), Description("Smallest item side, times the source images' side.")]
    public double MinScale { get; set; } = 0.75;

    [Range(0.1, 16.0), Description("Largest item side, times the source images' side.")]
    public double MaxScale { get; set; } = 1.5;

    [Range(0.0, 1.0), Description("Most a new item's box may cover of a placed one (intersection over the smaller box).")]
    public double MaxOverlap { get; set; } = 0.2;

    [Range(0.0, 1.0), Description("Intensity in [0, 1] above which an item's pixel is a stroke (labelled; inside its box).")]
    public double StrokeThreshold { get; set; } = 0.5;

    /// <summary>
    /// A head's training scenes (from the training split) and test scenes (from the test split) of
    /// <paramref name="size"/> pixels, seeded by the evaluation seed and <paramref name="stream"/>:
    /// heads on different streams get different scenes.
    /// </summary>
    public Scenes Generate(HeadContext context, int size, int stream) =>
        new(DigitCanvases.Generate(context.Train, Recipe(size), TrainCanvases, Seeding.Random(context.Seed, RandomStream.DenseTrainScenes, stream)),
            DigitCanvases.Generate(context.Test, Recipe(size), TestCanvases, Seeding.Random(context.Seed, RandomStream.DenseTestScenes, stream)));

    /// <summary>The recipe for canvases of <paramref name="size"/> pixels (the option rounded to the patch).</summary>
    public CanvasRecipe Recipe(int size) => new(size, MinItems, Math.Max(MinItems, MaxItems), MinScale, Math.Max(MinScale, MaxScale), MaxOverlap, StrokeThreshold);

    /// <summary>The canvas side rounded up to a multiple of <paramref name="patch"/>.</summary>
    public int SizeFor(int patch) => (CanvasSize + patch - 1) / patch * patch;
}

/// <summary>A dense head's training and test scenes; disposing it frees both.</summary>
public sealed record Scenes(DigitCanvases Train, DigitCanvases Test) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
