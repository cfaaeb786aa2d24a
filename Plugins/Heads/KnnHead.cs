using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads;

public enum FeatureSource
{
    /// <summary>The encoder's features.</summary>
    Encoder,
    /// <summary>The normalised pixels themselves: the baseline any pre-training must beat.</summary>
    RawPixels,
}

public sealed class KnnOptions
{
    [Description("What is compared: encoder features, or raw pixels as a baseline.")]
    public FeatureSource Features { get; set; } = FeatureSource.Encoder;

    [Range(1, 10000), Description("Neighbours that vote.")]
    public int K { get; set; } = 20;

    [Range(1e-4, 100.0), Description("Vote weight is exp(cosine / temperature).")]
    public double Temperature { get; set; } = 0.07;

    [Description("Feature per image: cls token or mean of patch tokens.")]
    public FeaturePooling Pooling { get; set; } = FeaturePooling.Mean;

    [Range(1, 65536), Description("Images per feature-extraction batch.")]
    public int Batch { get; set; } = 256;

    [Range(1, 65536), Description("Test rows compared with the whole train bank at once (bounds memory).")]
    public int Chunk { get; set; } = 512;
}

/// <summary>
/// k-NN evaluation (plugin `knn`): frozen features, L2-normalised; each test image takes the k most
/// cosine-similar train images, which vote for their class with weight exp(sim / T).
/// </summary>
public sealed class KnnHead(KnnOptions options) : IDownstreamHead
{
    public HeadResult Evaluate(HeadContext context)
    {
        using var scope = NewDisposeScope();
        var trainFeatures = Features(context, context.Train, "k-NN: train features");
        var testFeatures = Features(context, context.Test, "k-NN: test features");
        var predictions = Classify(trainFeatures, context.Train.Labels.to(context.Device), testFeatures,
            context.Train.ClassCount, options.K, options.Temperature, options.Chunk);
        double top1 = predictions.eq(context.Test.Labels.to(context.Device)).to_type(ScalarType.Float64).mean().item<double>();
        return new HeadResult(new Dictionary<string, double> { ["top1"] = top1 });
    }

    Tensor Features(HeadContext context, Abstractions.Data.IImageDataset data, string task) => options.Features == FeatureSource.RawPixels
        ? data.Images(arange(data.Count, dtype: ScalarType.Int64)).flatten(1).to(context.Device)
        : FeatureExtractor.Shared(context, data, options.Pooling, options.Batch, task);

    /// <summary>Predicted class [M] for each test feature row; features need not be normalised.</summary>
    public static Tensor Classify(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, int classCount, int k, double temperature, int chunk)
    {
        using var _ = no_grad();
        var bank = nn.functional.normalize(trainFeatures, dim: 1);
        var queries = nn.functional.normalize(testFeatures, dim: 1);
        int neighbours = (int)Math.Min(k, bank.shape[0]);
        var predictions = new List<Tensor>();
        for (long start = 0; start < queries.shape[0]; start += chunk)
        {
            using var scope = NewDisposeScope();
            var rows = queries.narrow(0, start, Math.Min(chunk, queries.shape[0] - start));
            var (similarity, index) = rows.matmul(bank.t()).topk(neighbours, dim: 1);
            var votes = zeros(rows.shape[0], classCount, device: rows.device)
                .scatter_add_(1, trainLabels[index], (similarity / temperature).exp());
            predictions.Add(votes.argmax(1).MoveToOuterDisposeScope());
        }
        return cat(predictions, 0);
    }
}
