using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Abstractions.Data;
using SdAE.Host.Data;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class BeitTests
{
    [TestCase(7, 0.4, 20)]
    [TestCase(14, 0.0, 75)]   // BEiT's 75 of 196
    public void BlockwiseMasksNeverExceedTheTargetAndComeClose(int side, double ratio, int target)
    {
        var masking = new BlockwiseMasking(new BlockwiseMaskingOptions { Ratio = ratio > 0 ? ratio : 0.4, Count = ratio > 0 ? 0 : target });
        var grid = new GridSize(side, side);
        Assert.That(masking.TargetCount(grid), Is.EqualTo(target));
        var random = new Random(0);
        var counts = new List<int>();
        for (int i = 0; i < 300; i++)
        {
            var cells = new bool[grid.Count];
            int count = masking.SampleOne(grid, random, cells, null);
            Assert.That(count, Is.LessThanOrEqualTo(target));
            Assert.That(cells.Count(c => c), Is.EqualTo(count));
            counts.Add(count);
        }
        Assert.That(counts.Average(), Is.GreaterThan(target - 3), "within a few patches of the target on average");
    }

    [Test]
    public void BlocksRespectTheAspectRangeUpToRounding()
    {
        var masking = new BlockwiseMasking(new BlockwiseMaskingOptions { Count = 75, MinAspect = 0.3 });
        var grid = new GridSize(14, 14);
        var random = new Random(1);
        var blocks = new List<MaskBlock>();
        for (int i = 0; i < 200; i++) masking.SampleOne(grid, random, new bool[grid.Count], blocks);
        Assert.That(blocks, Is.Not.Empty);
        foreach (var b in blocks)
        {
            // some aspect in [0.3, 1/0.3] rounds to this height and width
            Assert.That((b.Height + 0.5) / Math.Max(0.5, b.Width - 0.5), Is.GreaterThanOrEqualTo(0.3), b.ToString());
            Assert.That(Math.Max(0.5, b.Height - 0.5) / (b.Width + 0.5), Is.LessThanOrEqualTo(1 / 0.3), b.ToString());
            Assert.That(b.Height * b.Width, Is.GreaterThanOrEqualTo(b.Added));
        }
    }

    [Test]
    public void BlockwiseIsDeterministicForASeededGenerator()
    {
        var masking = new BlockwiseMasking(new BlockwiseMaskingOptions());
        MaskPlan Draw(ulong seed) { using var g = new Generator(seed); return masking.Sample(4, new GridSize(7, 7), g); }
        Assert.That(Same(Draw(3).Mask, Draw(3).Mask), Is.True);
        Assert.That(Same(Draw(3).Mask, Draw(4).Mask), Is.False);
    }

    static (DiscreteTokenTarget Target, VisionTransformer Encoder) Attached(DiscreteTokenOptions options, string? runDirectory = null)
    {
        var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 1, Heads = 2, Patch = 4, MaskToken = true }, new PluginContext { ImageSize = 28, Channels = 1 });
        var target = new DiscreteTokenTarget(options, new PluginContext { ImageSize = 28, Channels = 1, Files = runDirectory is null ? NoRunFiles.Instance : new RunFolder(runDirectory).Files });
        target.Attach(encoder);
        return (target, encoder);
    }

    static StoredImageDataset Stripes(TempFolder folder, int count = 200)
    {
        TestData.WriteStripes(folder.Path, count, 10);
        return TestData.Mnist(folder.Path, DataSplit.Train);
    }

    [Test]
    public void RandomProjectionTokensAreDeterministicAndUseManyCodesOnRealPatches()
    {
        using var folder = new TempFolder();
        using var data = Stripes(folder);
        using var scope = NewDisposeScope();
        var images = data.Images(arange(100, dtype: ScalarType.Int64));
        var plan = new MaskPlan { Grid = new GridSize(7, 7), Mask = zeros(100, 49, ScalarType.Bool) };
        var a = Attached(new DiscreteTokenOptions()).Target.ComputeTargets(images, plan);
        var b = Attached(new DiscreteTokenOptions()).Target.ComputeTargets(images, plan);
        Assert.That(Same(a, b), Is.True);
        Assert.That(a.unique().Item1.numel(), Is.GreaterThan(30), "more than a handful of the 1024 codes");
        var other = Attached(new DiscreteTokenOptions { Seed = 5 }).Target.ComputeTargets(images, plan);
        Assert.That(Same(a, other), Is.False);
    }

    [Test]
    public void KMeansLowersItsObjective()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var points = cat([randn(300, 4, generator: generator) + 5, randn(300, 4, generator: generator) - 5, randn(300, 4, generator: generator)], 0);
        var start = points[randperm(900, generator: generator).narrow(0, 0, 3)];
        var fitted = KMeans.Fit(points, 3, iterations: 50, batch: 128, generator, NullProgressReporter.Instance);
        Assert.That(KMeans.Objective(points, fitted), Is.LessThan(KMeans.Objective(points, start)));
        Assert.That(KMeans.Objective(points, fitted), Is.LessThan(5.0), "three well separated clusters of unit variance in 4-D");
    }

    [Test]
    public void KMeansCodebookIsCachedAndReused()
    {
        using var folder = new TempFolder();
        using var data = Stripes(folder);
        var runA = Path.Combine(folder.Path, "runs", "x", "a");
        var runB = Path.Combine(folder.Path, "runs", "x", "b");
        var options = new DiscreteTokenOptions { Tokenizer = Tokenizer.Kmeans, CodebookSize = 16, KmeansIterations = 20, KmeansBatch = 256, KmeansImages = 100 };
        var (first, _) = Attached(options, runA);
        first.Prepare(data);
        Assert.That(Directory.GetFiles(runA, "kmeans-*.codebook"), Has.Length.EqualTo(1));
        Assert.That(Directory.GetFiles(Path.Combine(folder.Path, "runs", ".cache"), "kmeans-*.codebook"), Has.Length.EqualTo(1));

        // A second run with the same data and settings reads the shared cache instead of clustering again.
        var messages = new List<string>();
        var reporting = new DiscreteTokenTarget(options, new PluginContext { ImageSize = 28, Channels = 1, Files = new RunFolder(runB).Files, Progress = new Recorder(messages) });
        reporting.Attach(new VisionTransformer(new ViTOptions { Width = 32, Depth = 1, Heads = 2, Patch = 4, MaskToken = true }, new PluginContext { ImageSize = 28, Channels = 1 }));
        reporting.Prepare(data);
        Assert.That(messages, Has.Some.Contains("reused"));
        Assert.That(messages, Has.None.Contains("iterations"), "no clustering the second time");
        Assert.That(Same(((TokenizerState)reporting.StateModule!).Codebook, ((TokenizerState)first.StateModule!).Codebook), Is.True);
    }

    sealed class Recorder(List<string> messages) : IProgressReporter
    {
        public void Info(string message) => messages.Add(message);
        public void Report(string task, long done, long total, string? detail = null) { }
    }

    [Test]
    public void CrossEntropyCountsMaskedPositionsOnly()
    {
        using var scope = NewDisposeScope();
        var (target, _) = Attached(new DiscreteTokenOptions { CodebookSize = 8 });
        var mask = zeros(2, 49, ScalarType.Bool);
        mask[0, 3] = tensor(true);
        mask[1, 10] = tensor(true);
        var plan = new MaskPlan { Grid = new GridSize(7, 7), Mask = mask };
        var targets = randint(8, [2, 49]);
        var prediction = randn(2, 49, 32);
        var loss = target.Loss(prediction, targets, plan).Loss.item<float>();
        var changed = prediction.clone();
        changed[0, 4] = changed[0, 4] + 10;   // visible position
        Assert.That(target.Loss(changed, targets, plan).Loss.item<float>(), Is.EqualTo(loss));
        changed[1, 10] = changed[1, 10] + 10; // masked position
        Assert.That(target.Loss(changed, targets, plan).Loss.item<float>(), Is.Not.EqualTo(loss));
    }

    [Test]
    public void CodebookUsageAndPerplexity()
    {
        using var scope = NewDisposeScope();
        Tensor Histogram(params long[] ids) => DiscreteTokenTarget.TokenHistogram(tensor(ids), 8);
        Assert.That(DiscreteTokenTarget.CodebookUsage(Histogram(0, 0, 1, 3)).item<float>(), Is.EqualTo(3f / 8));
        Assert.That(DiscreteTokenTarget.Perplexity(Histogram(2, 2, 2)).item<float>(), Is.EqualTo(1f).Within(1e-5));
        Assert.That(DiscreteTokenTarget.Perplexity(Histogram(0, 1, 2, 3)).item<float>(), Is.EqualTo(4f).Within(1e-4));
        Assert.That(Histogram(0, 1, 1, 5).data<float>().ToArray(), Is.EqualTo(new float[] { 1, 2, 0, 0, 0, 1, 0, 0 }));
    }

    [Test]
    public void TinyRunLossFallsAndMaskedAccuracyBeatsChance()
    {
        using var folder = new TempFolder();
        var dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), 512, 50);
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 3, trainLimit: 512)
            .Overlay("""
                { backbone: { type: vit, width: 32, depth: 2, heads: 2, patch: 4, mask_token: true, layer_scale: 0.1 }, decoder: ~,
                  masking: { type: blockwise, ratio: 0.4 }, target: { type: discrete_token, codebook_size: 64, projection_dim: 8 } }
                """);
        using var loaded = ExperimentLoader.Load(folder.Write("beit.yaml", yaml));
        var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run();
        Assert.That(outcome.EpochLosses[^1], Is.LessThan(outcome.EpochLosses[0]));
        var accuracies = outcome.Folder.Metrics.Read().Where(r => r.IsStep).Select(r => r.Values["masked_accuracy"]).ToList();
        Assert.That(accuracies.TakeLast(5).Average(), Is.GreaterThan(3.0 / 64), "well above chance (1/64)");
    }

    [Test]
    public void MaskTokenTargetNeedsABackboneWithAMaskToken()
    {
        using var folder = new TempFolder();
        var dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), 64, 10);
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64)
            .Overlay("{ masking: { type: blockwise }, target: { type: discrete_token } }");
        using var loaded = ExperimentLoader.Load(folder.Write("beit.yaml", yaml));
        var e = Assert.Throws<UserError>(() => new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run());
        Assert.That(e!.Fix, Does.Contain("mask_token: true"));
    }
}
