using SdAE.Training;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Abstractions.Data;
using SdAE.Host.Data;
using SdAE.Host.Engine;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Heads;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class HeadsTests
{
    static ViTOptions Tiny => new() { Width = 32, Depth = 2, Heads = 2, Patch = 7, DropPath = 0.2 };
    static PluginContext Context => new() { ImageSize = 28, Channels = 1, ClassCount = 10 };

    [Test]
    public void LayerDecayMultipliersForATwoBlockModelMatchTheRule()
    {
        // depth 2: embeddings decay^3, block 0 decay^2, block 1 decay^1, final norm and classifier decay^0
        using var encoder = new VisionTransformer(Tiny, Context);
        var groups = LayerDecay.Groups(encoder.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
            .Append(("head.weight", nn.Parameter(zeros(10, 32)))), encoder, "encoder.", decay: 0.5, weightDecay: 0.05);
        double ScaleOf(string name) => groups.Single(g => g.Parameters.Any(p => p.Name == name)).LrScale;
        Assert.That(ScaleOf("encoder.patch_embed.weight"), Is.EqualTo(0.125));
        Assert.That(ScaleOf("encoder.cls_token"), Is.EqualTo(0.125));
        Assert.That(ScaleOf("encoder.blocks.0.attn.qkv.weight"), Is.EqualTo(0.25));
        Assert.That(ScaleOf("encoder.blocks.1.mlp.fc1.weight"), Is.EqualTo(0.5));
        Assert.That(ScaleOf("encoder.norm.weight"), Is.EqualTo(1.0));
        Assert.That(ScaleOf("head.weight"), Is.EqualTo(1.0));
        Assert.That(groups.Single(g => g.Parameters.Any(p => p.Name == "encoder.blocks.0.attn.qkv.bias")).WeightDecay, Is.EqualTo(0.0));
        Assert.That(groups.Single(g => g.Parameters.Any(p => p.Name == "encoder.blocks.0.attn.qkv.weight")).WeightDecay, Is.EqualTo(0.05));
    }

    static (StoredImageDataset Train, StoredImageDataset Test, TempFolder Folder) Stripes(int train = 200, int test = 50)
    {
        var folder = new TempFolder();
        TestData.WriteStripes(folder.Path, train, test);
        return (TestData.Mnist(folder.Path, DataSplit.Train),
                TestData.Mnist(folder.Path, DataSplit.Test), folder);
    }

    [Test]
    public void LinearProbeLeavesTheEncoderBitIdenticalAndExtractsFeaturesOnce()
    {
        var (train, test, folder) = Stripes();
        using var _ = folder;
        using var encoder = new CountingViT(new VisionTransformer(Tiny, Context));
        encoder.train();
        var before = encoder.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var head = new LinearProbeHead(new LinearProbeOptions { Epochs = 3, Batch = 50 });
        var result = head.Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance));

        Assert.That(encoder.Batches, Is.EqualTo(200 / 50 + 1), "features of train (4 batches) and test (1 batch) computed once, not per epoch");
        Assert.That(encoder.training, Is.True, "train/eval mode restored");
        foreach (var (name, tensor) in encoder.state_dict())
            Assert.That(Same(tensor, before[name]), Is.True, name);
        Assert.That(result.Curve, Has.Count.EqualTo(3));
    }

    [Test]
    public void HeadsOfOnePassShareOneFeatureExtraction()
    {
        var (train, test, folder) = Stripes();
        using var _ = folder;
        using var encoder = new CountingViT(new VisionTransformer(Tiny, Context));
        using var cache = new FeatureCache();
        var context = new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance, cache);
        var knn = new KnnHead(new KnnOptions { K = 5, Batch = 50 }).Evaluate(context);
        int afterKnn = encoder.Batches;
        var probe = new LinearProbeHead(new LinearProbeOptions { Epochs = 2, Batch = 50 }).Evaluate(context);
        Assert.That(afterKnn, Is.EqualTo(200 / 50 + 1));
        Assert.That(encoder.Batches, Is.EqualTo(afterKnn), "the linear probe reuses the k-NN's features");
        Assert.That(cache.Count, Is.EqualTo(2));
        Assert.That(knn.Top1, Is.InRange(0.0, 1.0));
        Assert.That(probe.Top1, Is.InRange(0.0, 1.0));
    }

    static (Tensor Features, Tensor Labels) Separable(int count, Generator generator)
    {
        var labels = arange(count).remainder(4);
        var features = randn(count, 8, generator: generator) * 0.3 + nn.functional.one_hot(labels, 8).to_type(ScalarType.Float32) * 3;
        return (features, labels);
    }

    [Test]
    public void LinearProbeSeparatesSeparableFeaturesAndNotShuffledLabels()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var (train, trainLabels) = Separable(800, generator);
        var (test, testLabels) = Separable(400, generator);
        var options = new LinearProbeOptions { Epochs = 20, Batch = 64 };
        var (top1, _) = LinearProbeHead.Train(train, trainLabels, test, testLabels, 4, options, 0, NullProgressReporter.Instance);
        Assert.That(top1, Is.GreaterThan(0.98));
        var shuffled = trainLabels[randperm(800, generator: generator)];
        var (chance, _) = LinearProbeHead.Train(train, shuffled, test, testLabels, 4, options, 0, NullProgressReporter.Instance);
        Assert.That(chance, Is.InRange(0.15, 0.38), "chance is 0.25");
    }

    [Test]
    public void FineTuneTrainsACopyAndReportsACurve()
    {
        var (train, test, folder) = Stripes(300, 100);
        using var _ = folder;
        using var encoder = new VisionTransformer(Tiny, Context);
        var before = encoder.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var head = new FineTuneHead(new FineTuneOptions { Epochs = 3, Batch = 32, Lr = 5e-3, LayerDecay = 0.75, EvalEvery = 2 });
        var result = head.Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance));
        foreach (var (name, tensor) in encoder.state_dict())
            Assert.That(Same(tensor, before[name]), Is.True, $"{name}: the evaluated encoder is not modified");
        Assert.That(result.Curve!.Select(p => p["epoch"]), Is.EqualTo(new[] { 2.0, 3.0 }), "every eval_every epochs, and the last");
        Assert.That(result.Metrics["best_top1"], Is.GreaterThanOrEqualTo(result.Top1));
        Assert.That(result.Top1, Is.GreaterThan(0.3), "stripes are learnable well above chance (0.1) in 3 epochs");
    }

    [Test]
    public void FineTuneAugmentationChangesTheTrainingImagesAndIsSeeded()
    {
        var (train, test, folder) = Stripes(300, 100);
        using var _ = folder;
        using var encoder = new VisionTransformer(Tiny, Context);
        double FirstLoss(AugmentOptions augment) =>
            new FineTuneHead(new FineTuneOptions { Epochs = 1, Batch = 32, Lr = 5e-3, DropPath = 0, Augment = augment })
                .Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance)).Curve![0]["train_loss"];
        var cropped = new AugmentOptions { CropScale = [0.3, 1.0], Flip = true };
        Assert.That(FirstLoss(cropped), Is.EqualTo(FirstLoss(cropped)), "same seed, same crops");
        Assert.That(FirstLoss(cropped), Is.Not.EqualTo(FirstLoss(AugmentOptions.Off())).Within(1e-6), "crops and flips reach the training images");
    }

    [Test]
    public void FineTuningInFourMicroBatchesTrainsAsTheWholeBatchDoesEpochForEpoch()
    {
        // 300 images in batches of 32: the last batch of 12 splits into 3 + 3 + 3 + 3; drop path off (micro-batches draw it in another order)
        var (train, test, folder) = Stripes(300, 100);
        using var _ = folder;
        using var encoder = new VisionTransformer(Tiny, Context);
        HeadResult FineTune(int accumulate) =>
            new FineTuneHead(new FineTuneOptions { Epochs = 3, Batch = 32, Lr = 5e-3, DropPath = 0, EvalEvery = 1, Accumulate = accumulate,
                    Augment = new AugmentOptions { CropScale = [0.5, 1.0], Flip = true } })
                .Evaluate(new HeadContext(encoder, train, test, CPU, 0, NullProgressReporter.Instance));
        var whole = FineTune(1);
        var micro = FineTune(4);
        Assert.That(micro.Curve!, Has.Count.EqualTo(3));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.That(micro.Curve![epoch]["train_loss"], Is.EqualTo(whole.Curve![epoch]["train_loss"]).Within(1e-5), $"epoch {epoch + 1}");
            Assert.That(micro.Curve![epoch]["top1"], Is.EqualTo(whole.Curve![epoch]["top1"]), $"epoch {epoch + 1}: the same weights classify alike");
        }
        Assert.That(whole.Curve![2]["train_loss"], Is.LessThan(whole.Curve![0]["train_loss"]), "it trained");
    }

    [Test]
    public void CopyLoadsEveryEncoderTensor()
    {
        using var encoder = new VisionTransformer(Tiny, Context);
        using var copy = encoder.Copy(dropPath: 0.0);
        var original = encoder.state_dict();
        foreach (var (name, tensor) in copy.state_dict())
            Assert.That(Same(tensor, original[name]), Is.True, name);
        Assert.That(copy.state_dict().Keys, Is.EquivalentTo(original.Keys));
    }
}
