using SdAE.Abstractions.Options;
using SdAE.Abstractions.Randomness;
using SdAE.Training.Distributed;
using SdAE.Abstractions.Distributed;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using SdAE.Training.Interop;
using AdamW = SdAE.Training.AdamW;

namespace SdAE.Plugins.Heads;

public sealed class FineTuneOptions : IValidatableOptions
{
    // Defaults: the label-scarce protocol measured in docs/lab-notebook.md (the curve flattens by
    // about epoch 25 at 100 labels per class; lr chosen where training from scratch does best).
    [Range(1, 10000), Description("Fine-tuning epochs.")]
    public int Epochs { get; set; } = 30;

    [Range(1, 65536), Description("Images per step; the peak lr is lr x batch / 256.")]
    public int Batch { get; set; } = 64;

    [Range(1, 4096), Description("Gradient accumulation: each batch as N micro-batches whose gradients are summed before one optimizer step (less memory, the same training); lr and schedule count optimizer steps.")]
    public int Accumulate { get; set; } = 1;

    [Range(0.0, 10.0), Description("Base lr; the peak is base x batch / 256.")]
    public double Lr { get; set; } = 8e-3;

    [Range(0.0, 10000.0), Description("Epochs of linear lr warm-up before the cosine decay.")]
    public double WarmupEpochs { get; set; } = 1;

    [Range(0.0, 10.0), Description("AdamW weight decay (not on biases, norms, tokens, position embeddings).")]
    public double WeightDecay { get; set; } = 0.05;

    [Range(0.0, 1.0), Description("Layer-wise lr decay: block j of d gets decay^(d-j); 0.75 suits the 4-block micro ViT (0.65 is the ViT-B recipe); 1 disables.")]
    public double LayerDecay { get; set; } = 0.75;

    [Range(0.0, 0.99), Description("Stochastic depth in the fine-tuned encoder.")]
    public double DropPath { get; set; } = 0.1;

    [Range(0.0, 0.99), Description("Label smoothing of the cross-entropy.")]
    public double LabelSmoothing { get; set; } = 0.1;

    [Description("Random-resized-crop and flip of the training images, as data.augment; off by default, and keys left out stay off: { flip: true } flips without cropping.")]
    public AugmentOptions Augment { get; set; } = AugmentOptions.Off();

    [Description("Classifier input: mean of patch tokens (+ LayerNorm) or the cls token.")]
    public FeaturePooling Pooling { get; set; } = FeaturePooling.Mean;

    [Range(0, int.MaxValue), Description("Train on the first N training images only; 0 uses all (CPU budgets). For label-scarce protocols use the head's labels_per_class.")]
    public int TrainLimit { get; set; }

    [Range(1, 10000), Description("Test top-1 for the curve every N epochs and after the last; on small label budgets the test passes cost more than the training.")]
    public int EvalEvery { get; set; } = 5;

    [Description("Fine-tune from these weights (a PyTorch state_dict or safetensors file, timm or native key names) instead of the run's encoder; relative to where sdae runs.")]
    public string InitFrom { get; set; } = "";

    [Description("With init_from: refuse a file whose keys do not match the encoder's exactly; false loads what fits.")]
    public bool InitStrict { get; set; } = true;

    public IEnumerable<OptionError> Validate()
    {
        if (Accumulate > Batch)
            yield return new("accumulate", $"{Accumulate} micro-batches are more than the batch of {Batch} images; choose at most the batch.");
    }
}

/// <summary>Encoder + classifier on pooled tokens; the encoder is a copy, so the evaluated one is untouched.</summary>
public sealed class Classifier : nn.Module<Tensor, Tensor>
{
    readonly EncoderModule encoder;
    readonly LayerNorm fc_norm;
    readonly Linear head;
    readonly FeaturePooling pooling;

    public Classifier(EncoderModule encoder, int classes, FeaturePooling pooling) : base(nameof(Classifier))
    {
        this.encoder = encoder;
        this.pooling = pooling;
        fc_norm = nn.LayerNorm(encoder.Width, eps: 1e-6);
        head = nn.Linear(encoder.Width, classes);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.normal_(head.weight!, std: 2e-5);
        nn.init.zeros_(head.bias!);
    }

    public EncoderModule Encoder => encoder;

    public override Tensor forward(Tensor images)
    {
        var features = pooling == FeaturePooling.Mean ? fc_norm.forward(encoder.Features(images, FeaturePooling.Mean)) : encoder.Features(images, FeaturePooling.Cls);
        return head.forward(features);
    }
}

/// <summary>
/// Fine-tuning (plugin `finetune`, the paper's headline protocol): all weights trained, layer-wise
/// lr decay, drop path, label smoothing, warm-up + cosine; reports test top-1 per epoch, the final
/// and the best. Plugin `from_scratch` runs the same protocol from a randomly initialised encoder.
/// </summary>
public class FineTuneHead(FineTuneOptions options) : IDownstreamHead
{
    protected FineTuneOptions Options => options;
    protected virtual string Protocol => "finetune";

    const int LossShownEvery = 10;

    protected virtual EncoderModule StartingEncoder(EncoderModule evaluated) => evaluated.Copy(options.DropPath);

    /// <summary>The encoder fine-tuning starts from: <c>init_from</c>'s weights in the evaluated encoder's shape when given, else <see cref="StartingEncoder"/>.</summary>
    EncoderModule Start(HeadContext context)
    {
        if (options.InitFrom.Length == 0) return StartingEncoder(context.Encoder);
        var encoder = context.Encoder.CreateSameShape(options.DropPath);
        try
        {
            context.Progress.Info($"{Protocol}: {EncoderWeights.Import(encoder, options.InitFrom, options.InitStrict)}");
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Back-propagates the cross-entropy of a batch (mean over it) and returns it, detached; with
    /// several ranks, of this rank's share, summed and divided by the whole batch, so the ranks'
    /// gradients add up to the batch's. With <c>accumulate</c>, the share goes through the model as
    /// that many micro-batches, each backward on its sum over the whole batch, so the gradients add
    /// up to the same. A rank whose share is empty (a last batch smaller than the ranks) gives a zero
    /// loss over one image, so its gradients exist and are zero.
    /// The whole batch is augmented on every rank (the same draws), so each image's crop is the same
    /// whatever the number of ranks or micro-batches.
    /// </summary>
    Tensor BackwardBatch(Classifier model, HeadContext context, Tensor indices, ICollectives ranks, Augmentation augmentation, Random random)
    {
        var images = augmentation.Apply(context.Train.Images(indices).to(context.Device), random);
        var labels = context.Train.Labels[indices].to(context.Device);
        Tensor Loss(long from, long count, nn.Reduction reduction) => nn.functional.cross_entropy(model.forward(images.narrow(0, from, count)),
            labels.narrow(0, from, count), reduction: reduction, label_smoothing: options.LabelSmoothing);
        Tensor Backward(Tensor loss)
        {
            loss.backward();
            return loss.detach();
        }
        long batch = indices.shape[0];
        if (ranks.Size == 1 && options.Accumulate == 1) return Backward(Loss(0, batch, nn.Reduction.Mean));
        long start = batch * ranks.Rank / ranks.Size, end = batch * (ranks.Rank + 1) / ranks.Size;
        if (end == start) return Backward(Loss(0, 1, nn.Reduction.Sum) * 0);
        long share = end - start, parts = Math.Min(options.Accumulate, share);
        var total = zeros(1, device: context.Device);
        for (long k = 0; k < parts; k++)
        {
            long from = start + share * k / parts, to = start + share * (k + 1) / parts;
            total.add_(Backward(Loss(from, to - from, nn.Reduction.Sum) / batch));
        }
        return total;
    }

    public HeadResult Evaluate(HeadContext context)
    {
        Seeding.SeedDefaultGenerators(context.Seed, RandomStream.HeadWeights);
        var ranks = context.Ranks ?? SingleProcess.Instance;
        var gradients = new GradientAveraging(ranks);
        using var model = new Classifier(Start(context), context.Train.ClassCount, options.Pooling);
        model.to(context.Device);
        if (ranks.Rank > 0) Seeding.SeedDefaultGenerators(context.Seed, RandomStream.HeadWeights, rank: ranks.Rank);   // the same weights on every rank, its own drop path draws
        var groups = LayerDecay.Groups(model.named_parameters().Select(p => (p.name, p.parameter)), model.Encoder, "encoder.", options.LayerDecay, options.WeightDecay);
        using var optimizer = new AdamW(groups, 0.9, 0.999);
        long trainCount = Classification.Limit(context.Train, options.TrainLimit);
        long stepsPerEpoch = (trainCount + options.Batch - 1) / options.Batch;   // the last batch may be smaller: small label budgets keep every image
        var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(options.Lr, options.Batch), 0,
            (long)(options.WarmupEpochs * stepsPerEpoch), options.Epochs * stepsPerEpoch);

        var augmentation = new Augmentation(options.Augment);
        var random = Seeding.Random(context.Seed, RandomStream.HeadAugmentation);   // crops and flips: the same on every rank
        var curve = new List<IReadOnlyDictionary<string, double>>();
        long step = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            model.train();
            using var order = Classification.Shuffle(trainCount, context.Seed, epoch);
            using var lossSum = zeros(1, device: context.Device); // read only when shown: reading waits for the GPU
            string shownLoss = "";
            for (long i = 0; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                long batch = Math.Min(options.Batch, trainCount - i * options.Batch);
                optimizer.ZeroGrad();
                var loss = BackwardBatch(model, context, order.narrow(0, i * options.Batch, batch), ranks, augmentation, random);
                gradients.Sum(optimizer);
                optimizer.Step(schedule.At(step++));
                lossSum.add_(loss);
                if ((i + 1) % LossShownEvery == 0 || i + 1 == stepsPerEpoch) shownLoss = $"loss {lossSum.item<float>() * ranks.Size / (i + 1):F4}";   // rank 0's share, scaled
                // one progress line for the whole protocol (its steps over every epoch), not one per epoch
                context.Progress.Report(Protocol, step, stepsPerEpoch * options.Epochs, $"epoch {epoch + 1}/{options.Epochs}  {shownLoss}");
            }
            if ((epoch + 1) % options.EvalEvery != 0 && epoch + 1 != options.Epochs) continue;
            model.eval();
            double top1 = Classification.Accuracy(context.Test, model.forward, options.Batch, context.Device);
            ranks.AllReduceSum(lossSum);
            curve.Add(new Dictionary<string, double> { ["epoch"] = epoch + 1, ["train_loss"] = lossSum.item<float>() / stepsPerEpoch, ["top1"] = top1 });
            context.Progress.Info($"{Protocol}: epoch {epoch + 1}/{options.Epochs} test top-1 {top1:P2}");
        }
        var best = curve.MaxBy(point => point["top1"])!;
        return new HeadResult(new Dictionary<string, double>
        {
            ["top1"] = curve[^1]["top1"],
            ["best_top1"] = best["top1"],
            ["best_epoch"] = best["epoch"],
        })
        {
            Curve = curve,
            Kinds = new Dictionary<string, MetricKind> { ["best_top1"] = MetricKind.Accuracy, ["best_epoch"] = MetricKind.Index },
        };
    }
}

/// <summary>The `from_scratch` reference: the fine-tune protocol on a randomly initialised encoder of the same shape.</summary>
public sealed class FromScratchHead(FineTuneOptions options) : FineTuneHead(options)
{
    protected override string Protocol => "from_scratch";
    protected override EncoderModule StartingEncoder(EncoderModule evaluated) => evaluated.CreateSameShape(Options.DropPath);
}
