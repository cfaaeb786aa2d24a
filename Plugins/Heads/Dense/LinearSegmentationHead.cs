using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

using AdamW = SdAE.Training.AdamW;

namespace SdAE.Plugins.Heads.Dense;

public sealed class LinearSegmentationOptions : CanvasOptions
{
    [Range(1, 100000), Description("Training epochs over the training canvases' features.")]
    public int Epochs { get; set; } = 20;

    [Range(1, 1 << 20), Description("Canvases per step.")]
    public int Batch { get; set; } = 32;

    [Range(0.0, 100.0), Description("Peak lr of AdamW (base: scaled by batch / 256).")]
    public double Lr { get; set; } = 4e-3;

    [Range(0.0, 10.0), Description("AdamW weight decay of the classifier.")]
    public double WeightDecay { get; set; } = 1e-4;

    [Range(1, 100000), Description("Evaluate on the test canvases every N epochs (and after the last).")]
    public int EvalEvery { get; set; } = 5;

    [Range(-1, 1000), Description("Which block's patch tokens are classified (0-based); -1: the last, after the final norm.")]
    public int Block { get; set; } = -1;
}

/// <summary>
/// The linear segmentation protocol for ViTs (plugin `segmentation_linear`): the encoder frozen
/// in eval mode runs on generated canvases of digits at their own resolution (position embedding
/// regenerated for the larger grid); each patch token of one block goes through BatchNorm and a 1x1
/// classifier (background + one class per item class), whose logits are upsampled bilinearly to
/// pixels and trained with per-pixel cross-entropy (AdamW, warm-up + cosine). Reports mIoU and
/// pixel accuracy (as top1) on the test canvases, from a confusion matrix over all their pixels.
/// </summary>
public sealed class LinearSegmentationHead(LinearSegmentationOptions options) : IDownstreamHead
{
    const string Name = "segmentation_linear";

    public HeadResult Evaluate(HeadContext context)
    {
        var encoder = context.Encoder;
        DenseHeads.RequireDenseFeatures(encoder, Name);
        int block = options.Block < 0 ? encoder.Depth - 1 : options.Block;
        if (block >= encoder.Depth) throw new ArgumentException($"{Name}.block {options.Block}: the encoder has blocks 0 to {encoder.Depth - 1}.");
        int size = options.SizeFor(encoder.PatchSize), classes = context.Train.ClassCount + 1;
        using var train = DigitCanvases.Generate(context.Train, options.Recipe(size), options.TrainCanvases, context.Seed * 7919 + 1);
        using var test = DigitCanvases.Generate(context.Test, options.Recipe(size), options.TestCanvases, context.Seed * 7919 + 2);
        using var trainFeatures = DenseFeatureMaps.Of(encoder, train.Images, block, options.Batch, context, $"{Name}: train features");
        using var testFeatures = DenseFeatureMaps.Of(encoder, test.Images, block, options.Batch, context, $"{Name}: test features");

        Seeding.SeedAll(context.Seed);
        using var classifier = nn.Sequential(nn.BatchNorm2d(trainFeatures.shape[1]), nn.Conv2d(trainFeatures.shape[1], classes, 1));
        classifier.to(context.Device);
        using var optimizer = new AdamW(AdamW.DecayGroups(classifier.named_parameters().Select(p => (p.name, p.parameter)).ToList(), options.WeightDecay), 0.9, 0.999);
        long count = train.Count;
        long stepsPerEpoch = count / options.Batch + (count % options.Batch > 1 ? 1 : 0);   // no last batch of one: BatchNorm cannot normalise it
        var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(options.Lr, options.Batch), 0, stepsPerEpoch, options.Epochs * stepsPerEpoch);
        using var trainLabels = train.Labels.to(context.Device);

        var curve = new List<IReadOnlyDictionary<string, double>>();
        long step = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            classifier.train();
            using var shuffled = Classification.Shuffle(count, context.Seed, epoch);
            using var order = shuffled.to(context.Device);
            using var lossSum = zeros(1, device: context.Device);
            for (long i = 0; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                var indices = order.narrow(0, i * options.Batch, Math.Min(options.Batch, count - i * options.Batch));
                var logits = PixelLogits(classifier, trainFeatures[indices], size);
                var loss = nn.functional.cross_entropy(logits, trainLabels[indices]);
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step(schedule.At(step++));
                lossSum.add_(loss.detach());
            }
            if ((epoch + 1) % options.EvalEvery != 0 && epoch + 1 != options.Epochs) continue;
            var confusion = Test(classifier, testFeatures, test.Labels, classes, size, context.Device);
            curve.Add(new Dictionary<string, double>
            {
                ["epoch"] = epoch + 1, ["train_loss"] = lossSum.item<float>() / stepsPerEpoch,
                ["top1"] = confusion.PixelAccuracy(), ["miou"] = confusion.MeanIoU(),
            });
            context.Progress.Info($"{Name}: epoch {epoch + 1}/{options.Epochs} test mIoU {confusion.MeanIoU():P2}, pixel accuracy {confusion.PixelAccuracy():P2}");
        }
        return DenseHeads.Result(curve, "miou");
    }

    /// <summary>Patch logits upsampled to the canvas: [B, K, S, S].</summary>
    static Tensor PixelLogits(nn.Module<Tensor, Tensor> classifier, Tensor features, int size) =>
        nn.functional.interpolate(classifier.forward(features), [size, size], mode: InterpolationMode.Bilinear, align_corners: false);

    static ConfusionMatrix Test(nn.Module<Tensor, Tensor> classifier, Tensor features, Tensor labels, int classes, int size, Device device)
    {
        classifier.eval();
        using var _ = no_grad();
        var confusion = new ConfusionMatrix(classes);
        const int Chunk = 64;
        for (long start = 0; start < features.shape[0]; start += Chunk)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(Chunk, features.shape[0] - start);
            confusion.Add(PixelLogits(classifier, features.narrow(0, start, n), size).argmax(1), labels.narrow(0, start, n));
        }
        return confusion;
    }
}
