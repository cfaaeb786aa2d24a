using SdAE.Abstractions.Randomness;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

public sealed class DetectionOptions : PyramidHeadOptions
{
    public DetectionOptions()
    {
        CanvasSize = 96;
        MaxItems = 6;
        MinScale = 0.5;
        MaxScale = 2.0;
    }

    [Range(0.0, 1.0), Description("Class probability a location needs to propose a box at inference.")]
    public double ScoreThreshold { get; set; } = 0.05;

    [Range(0.0, 1.0), Description("Class-wise NMS: a box overlapping a better one of its class by more than this IoU is dropped.")]
    public double NmsIou { get; set; } = 0.6;

    [Range(0.1, 100.0), Description("Centre sampling: a location is positive within this many strides of its box's centre.")]
    public double CenterRadius { get; set; } = 1.5;
}

/// <summary>
/// Object detection (plugin `detection`) on generated scenes of 1-6 items at 0.5-2x scale: a copy
/// of the encoder, the simple feature pyramid, and an anchor-free single-stage FCOS head on the
/// pyramid level at the patch stride; focal + GIoU + centre-ness losses, fine-tuned end to end
/// (AdamW, layer-wise lr decay). Reports COCO-style AP@[.5:.95] (as top1: the head's headline),
/// AP50 and AP75 on the test canvases (<see cref="CocoAveragePrecision"/>).
/// </summary>
public sealed class DetectionHead(DetectionOptions options) : IDownstreamHead
{
    const string Name = "detection";
    const int Level = 2;   // the pyramid level at the patch's stride

    sealed class Network : nn.Module<Tensor, (Tensor Classes, Tensor Distances, Tensor Centerness)>
    {
        readonly SimpleFeaturePyramid pyramid;
        readonly Fcos fcos;

        public Network(EncoderModule encoder, int channels, int classes, double radius) : base(nameof(DetectionHead))
        {
            pyramid = new SimpleFeaturePyramid(encoder, channels);
            fcos = new Fcos(channels, classes, encoder.PatchSize, radius);
            RegisterComponents();
        }

        public Fcos Fcos => fcos;

        public override (Tensor Classes, Tensor Distances, Tensor Centerness) forward(Tensor images) => fcos.forward(pyramid.forward(images)[Level]);
    }

    public HeadResult Evaluate(HeadContext context)
    {
        DenseHeads.RequireDenseFeatures(context.Encoder, Name);
        int size = options.SizeFor(2 * context.Encoder.PatchSize), classes = context.Train.ClassCount;
        using var scenes = options.Generate(context, size, stream: 1);
        var (train, test) = (scenes.Train, scenes.Test);
        Seeding.SeedDefaultGenerators(context.Seed, RandomStream.HeadWeights);
        using var encoder = context.Encoder.Copy(options.DropPath);
        using var network = new Network(encoder, options.Channels, classes, options.CenterRadius);
        network.to(context.Device);
        var (rows, columns) = (size / encoder.PatchSize, size / encoder.PatchSize);
        using var locations = network.Fcos.Locations(rows, columns, context.Device);

        var curve = new DenseTraining(options, context, Name).Run(network, encoder, "pyramid.encoder.", train.Count,
            indices =>
            {
                var items = indices.data<long>().ToArray().Select(i => train.Items[(int)i]).ToList();
                return network.Fcos.Loss(network.forward(train.Images[indices].to(context.Device)), locations, BoxTargets.Of(items, context.Device));
            },
            () =>
            {
                var ap = new CocoAveragePrecision(classes);
                for (int start = 0; start < test.Count; start += options.Batch)
                {
                    using var scope = NewDisposeScope();
                    int n = (int)Math.Min(options.Batch, test.Count - start);
                    var output = network.forward(test.Images.narrow(0, start, n).to(context.Device));
                    for (int i = 0; i < n; i++)
                        ap.Add(test.Items[start + i].Select(t => new Box(t.X0, t.Y0, t.X1, t.Y1, t.Class)).ToList(),
                            network.Fcos.Detect(output, i, locations, size, options.ScoreThreshold, options.NmsIou));
                }
                return new Dictionary<string, double> { ["top1"] = ap.Mean(), ["ap50"] = ap.MeanAt(0.5), ["ap75"] = ap.MeanAt(0.75) };
            });
        return DenseHeads.Result(curve, "top1");
    }
}
