using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

public sealed class UperNetOptions : PyramidHeadOptions;

/// <summary>
/// Semantic segmentation with UperNet (plugin `upernet`), as BEiT and MAE evaluate on ADE20K, at
/// the scale of generated digit scenes: a copy of the encoder runs on the canvases at their
/// resolution, a simple feature pyramid is built from four of its blocks, UperNet's decoder predicts
/// per-pixel classes (background + one per item class), upsampled to the canvas; everything is
/// fine-tuned with per-pixel cross-entropy (AdamW, layer-wise lr decay). Reports mIoU and pixel
/// accuracy (as top1) on the test canvases.
/// </summary>
public sealed class UperNetHead(UperNetOptions options) : IDownstreamHead
{
    const string Name = "upernet";

    sealed class Network : nn.Module<Tensor, Tensor>
    {
        readonly SimpleFeaturePyramid pyramid;
        readonly UperNetDecoder decoder;

        public Network(EncoderModule encoder, int channels, int classes) : base(nameof(UperNetHead))
        {
            pyramid = new SimpleFeaturePyramid(encoder, channels);
            decoder = new UperNetDecoder(channels, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor images) =>
            nn.functional.interpolate(decoder.forward(pyramid.forward(images)), [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
    }

    public HeadResult Evaluate(HeadContext context)
    {
        DenseHeads.RequireDenseFeatures(context.Encoder, Name);
        int size = options.SizeFor(2 * context.Encoder.PatchSize), classes = context.Train.ClassCount + 1;   // an even grid: the pyramid pools it 2x
        using var scenes = options.Generate(context, size, stream: 0);
        var (train, test) = (scenes.Train, scenes.Test);
        Seeding.SeedDefaultGenerators(context.Seed, RandomStream.HeadWeights);
        using var encoder = context.Encoder.Copy(options.DropPath);
        using var network = new Network(encoder, options.Channels, classes);
        network.to(context.Device);

        var curve = new DenseTraining(options, context, Name).Run(network, encoder, "pyramid.encoder.", train.Count,
            indices => nn.functional.cross_entropy(network.forward(train.Images[indices].to(context.Device)), train.Labels[indices].to(context.Device)),
            () => DenseHeads.SegmentationMetrics(test, classes, options.Batch, (start, count) => network.forward(test.Images.narrow(0, start, count).to(context.Device))));
        return DenseHeads.Result(curve, "miou");
    }
}
