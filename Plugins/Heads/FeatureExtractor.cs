using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads;

/// <summary>
/// Frozen-encoder features for a whole dataset: eval mode (no dropout or drop path), no gradients,
/// batched; the encoder's train/eval mode is restored afterwards. Shared by k-NN and linear probe.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>Features from the pass's shared cache when there is one; the cache owns them, so callers must not dispose them.</summary>
    public static Tensor Shared(HeadContext context, IImageDataset data, FeaturePooling pooling, int batch, string task) =>
        context.Features is { } cache
            ? cache.GetOrAdd(context.Encoder, data, pooling, () => Extract(context.Encoder, data, pooling, batch, context.Device, context.Progress, task))
            : Extract(context.Encoder, data, pooling, batch, context.Device, context.Progress, task);

    /// <summary>[N, D] float32 features on <paramref name="device"/>; the caller owns the tensor.</summary>
    public static Tensor Extract(EncoderModule encoder, IImageDataset data, FeaturePooling pooling, int batch,
        Device device, IProgressReporter progress, string task)
    {
        bool wasTraining = encoder.training;
        encoder.eval();
        try
        {
            using var _ = no_grad();
            var parts = new List<Tensor>();
            for (long start = 0; start < data.Count; start += batch)
            {
                using var scope = NewDisposeScope();
                long count = Math.Min(batch, data.Count - start);
                var images = data.Images(arange(start, start + count, dtype: ScalarType.Int64)).to(device);
                parts.Add(encoder.Features(images, pooling).MoveToOuterDisposeScope());
                progress.Report(task, start + count, data.Count);
            }
            var features = cat(parts, 0);
            foreach (var part in parts) part.Dispose();
            return features;
        }
        finally
        {
            encoder.train(wasTraining);
        }
    }
}
