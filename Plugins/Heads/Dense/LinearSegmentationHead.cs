using SdAE.Abstractions.Randomness;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

public sealed class LinearSegmentationOptions : DenseTrainingOptions
{
    public LinearSegmentationOptions()
    {
        Epochs = 20;
        Batch = 32;
        Lr = 4e-3;
        WeightDecay = 1e-4;
    }

    [Range(-1, 1000), Description("Which block's patch tokens are classified (0-based); -1: the last, after the final norm.")]
    public int Block { get; set; } = -1;

    [Description("Fine-tune a copy of the encoder with the classifier (layer-wise lr decay, drop path); false: the encoder stays frozen and its features are computed once.")]
    public bool FineTune { get; set; }
}

/// <summary>
/// The linear segmentation protocol for ViTs (plugin `segmentation_linear`): the encoder (frozen in
/// eval mode with its features computed once, or a fine-tuned copy) runs on generated canvases of
/// digits at their own resolution (position embedding regenerated for the larger grid); each patch
/// token of one block goes through BatchNorm and a 1x1 classifier (background + one class per item
/// class), whose logits are upsampled bilinearly to pixels and trained with per-pixel cross-entropy
/// (AdamW, warm-up + cosine). Reports mIoU and pixel accuracy (as top1) on the test canvases, from
/// a confusion matrix over all their pixels.
/// </summary>
public sealed class LinearSegmentationHead(LinearSegmentationOptions options) : IDownstreamHead
{
    const string Name = "segmentation_linear";

    /// <summary>Encoder (when fine-tuned) + classifier; frozen, it takes precomputed feature maps instead of images.</summary>
    sealed class Network : nn.Module<Tensor, Tensor>
    {
        readonly EncoderModule? encoder;
        readonly Sequential classifier;
        readonly int block, size;

        public Network(EncoderModule? encoder, int width, int classes, int block, int size) : base(nameof(LinearSegmentationHead))
        {
            this.encoder = encoder;
            (this.block, this.size) = (block, size);
            classifier = nn.Sequential(nn.BatchNorm2d(width), nn.Conv2d(width, classes, 1));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var features = encoder is null ? input : encoder.DenseFeatures(input, [block])[0];
            return nn.functional.interpolate(classifier.forward(features), [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        }
    }

    public HeadResult Evaluate(HeadContext context)
    {
        var encoder = context.Encoder;
        DenseHeads.RequireDenseFeatures(encoder, Name);
        int block = options.Block < 0 ? encoder.Depth - 1 : options.Block;
        if (block >= encoder.Depth) throw new ArgumentException($"{Name}.block {options.Block}: the encoder has blocks 0 to {encoder.Depth - 1}.");
        int size = options.SizeFor(encoder.PatchSize), classes = context.Train.ClassCount + 1;
        using var scenes = options.Generate(context, size, stream: 0);
        var (train, test) = (scenes.Train, scenes.Test);
        Tensor? Frozen(DigitCanvases canvases, string split) => options.FineTune ? null : FeatureExtractor.Frozen(encoder, canvases.Count,
            (start, count) => canvases.Images.narrow(0, start, count), images => encoder.DenseFeatures(images, [block])[0],
            options.Batch, context.Device, context.Progress, $"{Name}: {split} features");
        using var trainFeatures = Frozen(train, "train");
        using var testFeatures = Frozen(test, "test");

        Seeding.SeedDefaultGenerators(context.Seed, RandomStream.HeadWeights);
        using var copy = options.FineTune ? encoder.Copy(options.DropPath) : null;
        using var network = new Network(copy, encoder.Width, classes, block, size);
        network.to(context.Device);
        Tensor Input(DigitCanvases canvases, Tensor? features, Tensor rows) => (features ?? canvases.Images).index_select(0, rows.to((features ?? canvases.Images).device)).to(context.Device);

        var curve = new DenseTraining(options, context, Name).Run(network, copy ?? encoder, "encoder.", train.Count,
            indices => nn.functional.cross_entropy(network.forward(Input(train, trainFeatures, indices)), train.Labels[indices].to(context.Device)),
            () => DenseHeads.SegmentationMetrics(test, classes, options.Batch, (start, count) => network.forward(Input(test, testFeatures, arange(start, start + count)))));
        return DenseHeads.Result(curve, "miou");
    }
}
