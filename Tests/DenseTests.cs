using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Heads.Dense;
using SdAE.Testing;
using static SdAE.Testing.TensorChecks;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>
/// What dense transfer stands on: the generated digit scenes (deterministic, labels and boxes
/// that match their pixels), the segmentation metrics on hand-built cases, the encoders'
/// patch-grid features at another resolution, and the linear segmentation head learning.
/// </summary>
public class DenseTests
{
    /// <summary>Small images of one bright bar, horizontal (class 0) or vertical (class 1), at a random place; normalised with mean 0.5 and std 0.5.</summary>
    sealed class BarImages : IImageDataset, IDisposable
    {
        readonly Tensor images;

        public BarImages(int count, int seed)
        {
            var random = new Random(seed);
            var labels = new long[count];
            var pixels = new float[count * 28 * 28];
            Array.Fill(pixels, -1f);   // intensity 0
            for (int n = 0; n < count; n++)
            {
                int label = random.Next(2), across = random.Next(4, 20);
                labels[n] = label;
                for (int along = 4; along < 24; along++)
                    for (int thick = across; thick < across + 4; thick++)
                        pixels[n * 784 + (label == 0 ? thick * 28 + along : along * 28 + thick)] = 1f;   // intensity 1
            }
            images = tensor(pixels, [count, 1, 28, 28]);
            Labels = tensor(labels);
        }

        public string Name => "bars";
        public long Count => images.shape[0];
        public int Channels => 1;
        public int ImageSize => 28;
        public int ClassCount => 2;
        public Tensor Labels { get; }
        public Tensor Images(Tensor indices) => images.index_select(0, indices);
        public (float[] Mean, float[] Std) Normalization => ([0.5f], [0.5f]);

        public void Dispose()
        {
            images.Dispose();
            Labels.Dispose();
        }
    }

    static CanvasRecipe Recipe(double maxOverlap = 0.2) => new(64, 1, 4, 0.75, 1.5, maxOverlap, 0.5);

    [Test]
    public void TheSameSeedGivesTheSameScenesAndAnotherSeedOthers()
    {
        using var source = new BarImages(50, seed: 1);
        using var a = DigitCanvases.Generate(source, Recipe(), 20, new Random(5));
        using var b = DigitCanvases.Generate(source, Recipe(), 20, new Random(5));
        using var c = DigitCanvases.Generate(source, Recipe(), 20, new Random(6));
        Assert.That(Same(a.Images, b.Images) && Same(a.Labels, b.Labels), Is.True);
        Assert.That(a.Items.SelectMany(i => i), Is.EqualTo(b.Items.SelectMany(i => i)));
        Assert.That(Same(a.Images, c.Images), Is.False);
        Assert.That(a.Items.Select(i => i.Count), Is.All.InRange(1, 4));
    }

    [Test]
    public void LabelsMarkStrokePixelsOfTheirItemAndBoxesAreTight()
    {
        using var source = new BarImages(50, seed: 1);
        using var scenes = DigitCanvases.Generate(source, Recipe(maxOverlap: 0), 30, new Random(2));
        var labels = scenes.Labels.data<long>().ToArray();
        var pixels = scenes.Images.data<float>().ToArray();
        for (int n = 0; n < scenes.Count; n++)
        {
            var items = scenes.Items[n];
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    long label = labels[n * 4096 + y * 64 + x];
                    if (label == 0) continue;
                    Assert.That(pixels[n * 4096 + y * 64 + x] * 0.5 + 0.5, Is.GreaterThan(0.5), "a labelled pixel is a stroke");
                    Assert.That(items.Any(i => i.Class == label - 1 && x >= i.X0 && x < i.X1 && y >= i.Y0 && y < i.Y1), Is.True, $"canvas {n} pixel ({x},{y}) lies in a box of its class");
                }
            foreach (var item in items)
            {
                // no overlap: the box holds only this item's strokes, and they reach all four of its edges
                var inside = Enumerable.Range(item.Y0, item.Y1 - item.Y0).SelectMany(y => Enumerable.Range(item.X0, item.X1 - item.X0).Select(x => (x, y)))
                    .Where(p => labels[n * 4096 + p.y * 64 + p.x] != 0).ToList();
                Assert.That(inside.Select(p => labels[n * 4096 + p.y * 64 + p.x]), Is.All.EqualTo(item.Class + 1));
                Assert.That((inside.Min(p => p.x), inside.Min(p => p.y), inside.Max(p => p.x) + 1, inside.Max(p => p.y) + 1), Is.EqualTo((item.X0, item.Y0, item.X1, item.Y1)));
            }
        }
    }

    [Test]
    public void ConfusionMatrixGivesMmsegmentationsMetricsOnHandBuiltCases()
    {
        var perfect = new ConfusionMatrix(3);
        perfect.Add(tensor(new long[] { 0, 1, 2, 2 }), tensor(new long[] { 0, 1, 2, 2 }));
        Assert.That(perfect.MeanIoU(), Is.EqualTo(1.0));
        Assert.That(perfect.PixelAccuracy(), Is.EqualTo(1.0));

        // labels 0 0 1 1, predictions 0 1 1 1: IoU(0) = 1/2, IoU(1) = 2/3; class 2 is nowhere: no IoU, not averaged
        var mixed = new ConfusionMatrix(3);
        mixed.Add(tensor(new long[] { 0, 1, 1, 1 }), tensor(new long[] { 0, 0, 1, 1 }));
        var iou = mixed.IoU();
        Assert.That(iou[0], Is.EqualTo(0.5).Within(1e-12));
        Assert.That(iou[1], Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(double.IsNaN(iou[2]), Is.True);
        Assert.That(mixed.MeanIoU(), Is.EqualTo(7.0 / 12).Within(1e-12));
        Assert.That(mixed.PixelAccuracy(), Is.EqualTo(0.75));

        // a class predicted but never labelled has IoU 0 and counts; an ignore label (255) counts nowhere
        var falsePositive = new ConfusionMatrix(3);
        falsePositive.Add(tensor(new long[] { 0, 2, 1 }), tensor(new long[] { 0, 0, 255 }));
        Assert.That(falsePositive.IoU()[2], Is.EqualTo(0));
        Assert.That(falsePositive.MeanIoU(), Is.EqualTo(0.25).Within(1e-12));   // (1/2 + 0) / 2
        Assert.That(falsePositive.PixelAccuracy(), Is.EqualTo(0.5));
    }

    [Test]
    public void TheViTAtItsOwnResolutionGivesItsEncodingAndAtALargerOneFiniteMapsOfTheLargerGrid()
    {
        var context = new PluginContext { ImageSize = 28, Channels = 1 };
        using var vit = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4 }, context);
        vit.eval();
        using var _ = no_grad();
        using var images = randn(2, 1, 28, 28);
        var native = vit.DenseFeatures(images, [1])[0];
        var encoded = EncoderModule.TokensToMap(vit.EncodeAll(images).narrow(1, 1, 49), 7, 7);
        Assert.That(native.shape, Is.EqualTo(new long[] { 2, 32, 7, 7 }));
        Assert.That((native - encoded).abs().max().item<float>(), Is.LessThan(1e-5f), "the last block's map is the encoder's own output");

        using var large = randn(2, 1, 64, 48);
        var maps = vit.DenseFeatures(large, [0, 1]);
        Assert.That(maps.Select(m => m.shape), Is.EqualTo(new[] { new long[] { 2, 32, 16, 12 }, new long[] { 2, 32, 16, 12 } }));
        Assert.That(maps.All(m => m.isfinite().all().item<bool>()), Is.True);
        Assert.Throws<ArgumentException>(() => vit.DenseFeatures(randn(1, 1, 30, 30), [1]));
    }

    [Test]
    public void ALearntPositionEmbeddingIsInterpolatedIn2DAndUnchangedAtItsOwnGrid()
    {
        var grid = new SdAE.Abstractions.Masking.GridSize(7, 7);
        using var table = arange(49 * 2, dtype: ScalarType.Float32).reshape(1, 49, 2);
        Assert.That(Same(EncoderModule.InterpolatePositions(table, grid, grid), table), Is.True);
        var resized = EncoderModule.InterpolatePositions(table, grid, new SdAE.Abstractions.Masking.GridSize(14, 14));
        Assert.That(resized.shape, Is.EqualTo(new long[] { 1, 196, 2 }));
        // channel 0 grows along rows and columns in the source; it still does after resizing
        var map = resized.select(2, 0).reshape(14, 14);
        Assert.That((map[13, 13] > map[0, 0]).item<bool>() && (map[0, 13] > map[0, 0]).item<bool>() && (map[13, 0] > map[0, 13]).item<bool>(), Is.True);

        using var probe = new ProbeEncoder(new PluginContext { ImageSize = 28, Channels = 1 });
        Assert.That(probe.DenseFeatures(randn(1, 1, 56, 56), [0])[0].shape, Is.EqualTo(new long[] { 1, 32, 14, 14 }));
    }

    [Test]
    public void LinearSegmentationTrainsItsLossFallsAndItBeatsBackgroundOnly()
    {
        using var train = new BarImages(200, seed: 1);
        using var test = new BarImages(100, seed: 2);
        var context = new PluginContext { ImageSize = 28, Channels = 1 };
        using var vit = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4 }, context);
        var head = new LinearSegmentationHead(new LinearSegmentationOptions { CanvasSize = 48, TrainCanvases = 200, TestCanvases = 50, MaxItems = 2, MinScale = 1.0, MaxScale = 1.0, Epochs = 15, EvalEvery = 1, Lr = 0.2 });
        var result = head.Evaluate(new HeadContext(vit, train, test, CPU, 0, NullProgressReporter.Instance));
        var curve = result.Curve!;
        Assert.That(curve[^1]["train_loss"], Is.LessThan(0.7 * curve[0]["train_loss"]), "the loss falls: " + string.Join("; ", curve.Select(p => $"{p["train_loss"]:F3}")));
        // background everywhere scores mIoU 1/3 at most (one class of three); a random encoder's patch tokens tell the
        // bars' orientation only partly, so this asks for clearly more than background, not for a solved task
        Assert.That(result.Metrics["miou"], Is.GreaterThan(0.45), string.Join("; ", curve.Select(p => $"{p["epoch"]}: {p["miou"]:F3}")));
        Assert.That(result.KindOf("miou"), Is.EqualTo(MetricKind.Accuracy));
        Assert.That(result.Headline, Is.EqualTo("miou"), "segmentation is summed up by mIoU, not pixel accuracy");
    }

    [TestCase("segmentation_linear")]
    [TestCase("upernet")]
    [TestCase("detection")]
    public void FineTunedDenseHeadsTrainAndTheirLossFalls(string head)
    {
        using var train = new BarImages(200, seed: 1);
        using var test = new BarImages(100, seed: 2);
        using var vit = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4 }, new PluginContext { ImageSize = 28, Channels = 1 });
        IDownstreamHead evaluated = head switch
        {
            "segmentation_linear" => new LinearSegmentationHead(new LinearSegmentationOptions { FineTune = true, CanvasSize = 32, TrainCanvases = 64, TestCanvases = 16, MaxItems = 2, MinScale = 1, MaxScale = 1, Epochs = 4, EvalEvery = 1, Batch = 8, Lr = 0.05 }),
            "upernet" => new UperNetHead(new UperNetOptions { CanvasSize = 32, TrainCanvases = 64, TestCanvases = 16, MaxItems = 2, MinScale = 1, MaxScale = 1, Epochs = 4, EvalEvery = 1, Batch = 8, Channels = 16 }),
            _ => new DetectionHead(new DetectionOptions { CanvasSize = 48, TrainCanvases = 64, TestCanvases = 16, MaxItems = 2, MinScale = 1, MaxScale = 1, Epochs = 4, EvalEvery = 1, Batch = 8, Channels = 16 }),
        };
        var before = vit.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var result = evaluated.Evaluate(new HeadContext(vit, train, test, CPU, 0, NullProgressReporter.Instance));
        var losses = result.Curve!.Select(p => p["train_loss"]).ToList();
        Assert.That(losses[^1], Is.LessThan(0.9 * losses[0]), "falls by a tenth or more in 4 epochs: " + string.Join("; ", losses.Select(l => l.ToString("F3"))));
        Assert.That(result.Metrics.Values.All(double.IsFinite), Is.True);
        Assert.That(vit.state_dict().All(p => Same(p.Value, before[p.Key])), Is.True, "the evaluated encoder is fine-tuned as a copy");
    }
}
