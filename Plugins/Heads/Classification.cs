using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads;

/// <summary>Batching and accuracy shared by the trained heads.</summary>
public static class Classification
{
    /// <summary>Indices [0, count) in an order fixed by (seed, epoch).</summary>
    public static Tensor Shuffle(long count, int seed, int epoch)
    {
        using var generator = Seeding.Generator(seed, RandomStream.HeadOrder, epoch);
        return randperm(count, generator: generator);
    }

    /// <summary>Top-1 accuracy of <paramref name="predict"/> (normalised images -> logits) over a dataset, in eval mode, without gradients.</summary>
    public static double Accuracy(IImageDataset data, Func<Tensor, Tensor> predict, int batch, Device device)
    {
        using var _ = no_grad();
        long correct = 0;
        for (long start = 0; start < data.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batch, data.Count - start);
            var indices = arange(start, start + count, dtype: ScalarType.Int64);
            var logits = predict(data.Images(indices).to(device));
            correct += logits.argmax(1).eq(data.Labels[indices].to(device)).sum().item<long>();
        }
        return (double)correct / data.Count;
    }

    /// <summary>A dataset's first <paramref name="limit"/> indices, or all of them.</summary>
    public static long Limit(IImageDataset data, int limit) => limit > 0 ? Math.Min(limit, data.Count) : data.Count;
}
