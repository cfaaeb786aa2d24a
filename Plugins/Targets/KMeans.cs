using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// Mini-batch k-means (Sculley 2010): centroids start from random samples; each batch assigns
/// points to their nearest centroid and moves it towards them with a per-centroid rate 1/count.
/// </summary>
public static class KMeans
{
    public static Tensor Fit(Tensor points, int clusters, int iterations, int batch, Generator generator, IProgressReporter progress)
    {
        using var _ = no_grad();
        long count = points.shape[0];
        if (count < clusters)
            throw new ArgumentException($"k-means needs at least {clusters} patches, got {count}; lower codebook_size or use more training images.");
        var centroids = points[randperm(count, generator: generator).narrow(0, 0, clusters)].clone();
        var seen = zeros(clusters, dtype: ScalarType.Float32);
        for (int i = 0; i < iterations; i++)
        {
            using var scope = NewDisposeScope();
            var sample = points[randint(count, [Math.Min(batch, count)], generator: generator)];
            var assigned = TokenizerState.NearestL2(sample, centroids);
            var hits = zeros(clusters).index_add_(0, assigned, ones(assigned.shape[0]), 1);
            var sums = zeros(clusters, points.shape[1]).index_add_(0, assigned, sample, 1);
            seen.add_(hits);
            // c <- c + (sum_x - hits * c) / seen  for centroids that got points
            var rate = (hits / seen.clamp_min(1)).unsqueeze(1);
            var means = sums / hits.clamp_min(1).unsqueeze(1);
            centroids.add_(rate * (means - centroids));
            if ((i + 1) % 10 == 0 || i == iterations - 1)
                progress.Report("k-means codebook", i + 1, iterations);
        }
        return centroids;
    }

    /// <summary>Mean squared distance of points to their nearest centroid (the k-means objective).</summary>
    public static double Objective(Tensor points, Tensor centroids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var nearest = centroids[TokenizerState.NearestL2(points, centroids)];
        return (points - nearest).square().sum(1).mean().item<float>();
    }
}
