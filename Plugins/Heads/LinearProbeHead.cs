using SdAE.Abstractions.Randomness;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using AdamW = SdAE.Training.AdamW;

namespace SdAE.Plugins.Heads;

public enum ProbeOptimizer
{
    Sgd,
    Adamw,
}

public sealed class LinearProbeOptions
{
    [Range(1, 100000), Description("Training epochs over the labelled features.")]
    public int Epochs { get; set; } = 100;

    [Range(1, 1 << 20), Description("Features per step.")]
    public int Batch { get; set; } = 256;

    [Range(0.0, 100.0), Description("Base lr; the peak is base x batch / 256.")]
    public double Lr { get; set; } = 0.1;

    [Description("sgd (momentum 0.9) or adamw.")]
    public ProbeOptimizer Optimizer { get; set; } = ProbeOptimizer.Sgd;

    [Range(0.0, 10.0), Description("Weight decay of the classifier.")]
    public double WeightDecay { get; set; }

    [Range(0.0, 10000.0), Description("Epochs of linear lr warm-up before the cosine decay.")]
    public double WarmupEpochs { get; set; } = 1;

    [Description("Feature per image: cls token or mean of patch tokens.")]
    public FeaturePooling Pooling { get; set; } = FeaturePooling.Mean;

    [Range(0, int.MaxValue), Description("Train on the first N training images only; 0 uses all.")]
    public int TrainLimit { get; set; }
}

/// <summary>
/// Linear probing (plugin `linear_probe`): the encoder frozen in eval mode (no dropout or drop path,
/// no statistics change), features computed once and cached, then a BatchNorm without affine
/// parameters followed by a Linear classifier, trained with SGD or AdamW under warm-up + cosine.
/// </summary>
public sealed class LinearProbeHead(LinearProbeOptions options) : IDownstreamHead
{
    public HeadResult Evaluate(HeadContext context)
    {
        using var scope = NewDisposeScope();
        var train = FeatureExtractor.Shared(context, context.Train, options.Pooling, options.Batch, "linear probe: train features");
        var test = FeatureExtractor.Shared(context, context.Test, options.Pooling, options.Batch, "linear probe: test features");
        long trainCount = Classification.Limit(context.Train, options.TrainLimit);
        var (top1, curve) = Train(train.narrow(0, 0, trainCount), context.Train.Labels.narrow(0, 0, trainCount).to(context.Device),
            test, context.Test.Labels.to(context.Device), context.Train.ClassCount, options, context.Seed, context.Progress);
        return new HeadResult(new Dictionary<string, double> { ["top1"] = top1 }) { Curve = curve };
    }

    /// <summary>Trains BN(affine=false) + Linear on fixed features; returns final test top-1 and the per-epoch curve.</summary>
    public static (double Top1, List<IReadOnlyDictionary<string, double>> Curve) Train(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        int classes, LinearProbeOptions options, int seed, Abstractions.Plugins.IProgressReporter progress)
    {
        Seeding.SeedDefaultGenerators(seed, RandomStream.HeadWeights);
        using var classifier = nn.Sequential(nn.BatchNorm1d(trainFeatures.shape[1], affine: false), nn.Linear(trainFeatures.shape[1], classes));
        classifier.to(trainFeatures.device);
        var parameters = classifier.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        long count = trainFeatures.shape[0];
        // every image every epoch (small label budgets), except a last batch of one, which BatchNorm cannot normalise
        long stepsPerEpoch = count / options.Batch + (count % options.Batch > 1 ? 1 : 0);
        var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(options.Lr, options.Batch), 0,
            (long)(options.WarmupEpochs * stepsPerEpoch), options.Epochs * stepsPerEpoch);
        using var adamw = options.Optimizer == ProbeOptimizer.Adamw ? new AdamW(AdamW.DecayGroups(parameters, options.WeightDecay), 0.9, 0.999) : null;
        using var sgd = options.Optimizer == ProbeOptimizer.Sgd
            ? optim.SGD(parameters.Select(p => p.Item2), learningRate: schedule.Peak, momentum: 0.9, weight_decay: options.WeightDecay) : null;

        var curve = new List<IReadOnlyDictionary<string, double>>();
        long step = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            classifier.train();
            using var shuffled = Classification.Shuffle(count, seed, epoch);
            using var order = shuffled.to(trainFeatures.device);
            for (long i = 0; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                var indices = order.narrow(0, i * options.Batch, Math.Min(options.Batch, count - i * options.Batch));
                var loss = nn.functional.cross_entropy(classifier.forward(trainFeatures[indices]), trainLabels[indices]);
                double lr = schedule.At(step++);
                if (adamw is not null)
                {
                    adamw.ZeroGrad();
                    loss.backward();
                    adamw.Step(lr);
                }
                else
                {
                    foreach (var group in sgd!.ParamGroups) group.LearningRate = lr;
                    sgd.zero_grad();
                    loss.backward();
                    sgd.step();
                }
            }
            classifier.eval();
            using var _ = no_grad();
            double top1 = classifier.forward(testFeatures).argmax(1).eq(testLabels).to_type(ScalarType.Float64).mean().item<double>();
            curve.Add(new Dictionary<string, double> { ["epoch"] = epoch + 1, ["top1"] = top1 });
            progress.Report("linear probe: epochs", epoch + 1, options.Epochs, $"top-1 {top1:P2}");
        }
        return (curve[^1]["top1"], curve);
    }
}
