using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads;

/// <summary>
/// Frozen-encoder features for a whole dataset: eval mode (no dropout or drop path), no gradients,
/// batched; the encoder's train/eval mode is restored afterwards. Shared by k-NN, the linear probe
/// and the frozen linear segmentation (patch maps of generated scenes).
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
        Device device, IProgressReporter progress, string task) =>
        Frozen(encoder, data.Count, (start, count) => data.Images(arange(start, start + count, dtype: ScalarType.Int64)),
            images => encoder.Features(images, pooling), batch, device, progress, task);

    /// <summary>
    /// <paramref name="encode"/>'s outputs for <paramref name="total"/> inputs, <paramref name="read"/>
    /// (start, count) <paramref name="batch"/> at a time and moved to <paramref name="device"/>,
    /// concatenated along the first dimension; the caller owns the tensor.
    /// </summary>
    public static Tensor Frozen(EncoderModule encoder, long total, Func<long, long, Tensor> read, Func<Tensor, Tensor> encode, int batch,
        Device device, IProgressReporter progress, string task)
    {
        bool wasTraining = encoder.training;
        encoder.eval();
        try
        {
            using var _ = no_grad();
            var parts = new List<Tensor>();
            for (long start = 0; start < total; start += batch)
            {
                using var scope = NewDisposeScope();
                long count = Math.Min(batch, total - start);
                parts.Add(encode(read(start, count).to(device)).MoveToOuterDisposeScope());
                progress.Report(task, start + count, total);
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
