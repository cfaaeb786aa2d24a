using SdAE.Training;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

public enum Tokenizer
{
    /// <summary>BEST-RQ style: fixed random projection and random codebook; no training.</summary>
    RandomProjection,
    /// <summary>Mini-batch k-means on standardised training patches (a "pre-pretraining" stage), cached.</summary>
    Kmeans,
}

public sealed class DiscreteTokenOptions
{
    [Description("random_projection (no training) or kmeans (pre-pretraining on the training patches).")]
    public Tokenizer Tokenizer { get; set; } = Tokenizer.RandomProjection;

    [Range(2, 65536), Description("Number of codes.")]
    public int CodebookSize { get; set; } = 1024;

    [Range(1, 4096), Description("Projected width for random_projection.")]
    public int ProjectionDim { get; set; } = 16;

    [Description("Seed of the tokenizer's random projection, codebook and k-means sampling.")]
    public int Seed { get; set; }

    [Range(1, int.MaxValue), Description("k-means: training images whose patches are clustered.")]
    public int KmeansImages { get; set; } = 10000;

    [Range(1, 1000000), Description("k-means: mini-batch iterations.")]
    public int KmeansIterations { get; set; } = 300;

    [Range(1, 1 << 22), Description("k-means: patches per mini-batch.")]
    public int KmeansBatch { get; set; } = 4096;
}

/// <summary>
/// BEiT-style target (plugin `discrete_token`): each patch becomes a token id from a tokenizer
/// that needs no download; the encoder sees all patches with masked ones replaced by its mask
/// token, and a Linear head on masked positions is trained with cross-entropy. Masked-token
/// accuracy and codebook usage are logged so collapse is visible.
/// </summary>
[UsesEncoderInput(EncoderInput.MaskTokens)]
public sealed class DiscreteTokenTarget(DiscreteTokenOptions options, PluginContext context) : IReconstructionTarget
{
    TokenizerState? tokenizer;
    Linear? head;
    int patch;

    public nn.Module? TrainableModule => head;
    public nn.Module? StateModule => tokenizer;
    TokenizerState Tokenizer => tokenizer ?? throw new InvalidOperationException("the target is not attached to a student yet");

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        patch = student.PatchSize;
        int patchWidth = patch * patch * student.Channels;
        int width = options.Tokenizer == Targets.Tokenizer.RandomProjection ? options.ProjectionDim : patchWidth;
        tokenizer = new TokenizerState(patchWidth, width, options.CodebookSize);
        head = nn.Linear(student.Width, options.CodebookSize);
        using var _ = no_grad();
        nn.init.normal_(head.weight!, std: 0.02);
        nn.init.zeros_(head.bias!);
        if (options.Tokenizer == Targets.Tokenizer.RandomProjection)
        {
            using var generator = new Generator((ulong)options.Seed);
            tokenizer.Projection.copy_(randn(patchWidth, width, generator: generator));
            tokenizer.Codebook.copy_(nn.functional.normalize(randn(options.CodebookSize, width, generator: generator), dim: 1));
        }
    }

    public void Prepare(IImageDataset train)
    {
        if (options.Tokenizer != Targets.Tokenizer.Kmeans) return;
        var cacheName = $"kmeans-{CacheKey(train)}.codebook";
        var cached = context.Files.Find(cacheName);
        using var _ = no_grad();
        if (cached is not null)
        {
            using var reader = new BinaryReader(File.OpenRead(cached));
            Tokenizer.Codebook.Load(reader);
            context.Progress.Info($"k-means codebook reused from {cached}");
        }
        else
        {
            using var scope = NewDisposeScope();
            var points = TrainingPatches(train);
            using var generator = new Generator((ulong)options.Seed);
            context.Progress.Info($"k-means: {options.CodebookSize} codes from {points.shape[0]:N0} patches, {options.KmeansIterations} iterations");
            var centroids = KMeans.Fit(points, options.CodebookSize, options.KmeansIterations, options.KmeansBatch, generator, context.Progress);
            context.Progress.Info($"k-means objective (mean squared distance) {KMeans.Objective(points.narrow(0, 0, Math.Min(50000, points.shape[0])), centroids):F4}");
            Tokenizer.Codebook.copy_(centroids);
        }
        context.Files.Write(cacheName, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            Tokenizer.Codebook.Save(writer);
        });
    }

    Tensor TrainingPatches(IImageDataset train)
    {
        long count = Math.Min(options.KmeansImages, train.Count);
        var images = train.Images(arange(count, dtype: ScalarType.Int64));
        var patches = Patches.Patchify(images, patch);
        return Patches.Standardise(patches.reshape(-1, patches.shape[2])).Normalised;
    }

    string CacheKey(IImageDataset train)
    {
        var text = $"{train.Name}|{train.Count}|{train.ImageSize}|{train.Channels}|{patch}|{options.CodebookSize}|{options.Seed}|{options.KmeansImages}|{options.KmeansIterations}|{options.KmeansBatch}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
    }

    /// <summary>Token ids [B, L] of the images' patches.</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        return Tokenizer.Tokenize(Patches.Patchify(images, patch), project: options.Tokenizer == Targets.Tokenizer.RandomProjection);
    }

    /// <summary>
    /// Cross-entropy over the masked positions. Their number varies per image, so finding them is the
    /// one place the host waits for a GPU; classifying every position instead would avoid it but cost
    /// more than it saves (measured on CPU: +50% step time on the micro model).
    /// </summary>
    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var positions = plan.Mask.flatten().nonzero().squeeze(1);
        var logits = head!.forward(MixedPrecision.Full(prediction).flatten(0, 1).index_select(0, positions));
        var labels = targets.flatten().index_select(0, positions);
        var loss = nn.functional.cross_entropy(logits, labels);
        using var _ = no_grad();
        var histogram = TokenHistogram(labels, options.CodebookSize);
        var metrics = new Dictionary<string, Tensor>
        {
            ["masked_accuracy"] = logits.argmax(1).eq(labels).to_type(ScalarType.Float32).mean(),
            ["codebook_usage"] = CodebookUsage(histogram),
            ["token_perplexity"] = Perplexity(histogram),
        };
        return new TargetLoss(loss) { Metrics = metrics };
    }

    /// <summary>How often each code occurs among the token ids; unlike bincount, no wait for a GPU.</summary>
    public static Tensor TokenHistogram(Tensor ids, int codebookSize) =>
        zeros(codebookSize, device: ids.device).index_add_(0, ids.flatten(), ones(ids.numel(), device: ids.device), 1);

    /// <summary>Fraction of the codebook that occurs in a token histogram.</summary>
    public static Tensor CodebookUsage(Tensor histogram) => histogram.gt(0).to_type(ScalarType.Float32).mean();

    /// <summary>exp(entropy) of a token histogram: 1 when one code is used, K when all are used equally.</summary>
    public static Tensor Perplexity(Tensor histogram)
    {
        var p = histogram / histogram.sum().clamp_min(1e-12);
        return (-(p * p.clamp_min(1e-12).log()).sum()).exp();
    }

    public void Dispose()
    {
        head?.Dispose();
        tokenizer?.Dispose();
    }
}
