using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>A frozen encoder's patch-grid features of a set of canvases, computed once (eval mode, no gradients) for heads that train on them.</summary>
public static class DenseFeatureMaps
{
    /// <summary>Block <paramref name="block"/>'s maps [N, D, h, w] of <paramref name="images"/> [N, C, S, S], on the context's device.</summary>
    public static Tensor Of(EncoderModule encoder, Tensor images, int block, int batch, HeadContext context, string task)
    {
        bool training = encoder.training;
        encoder.eval();
        try
        {
            using var _ = no_grad();
            var chunks = new List<Tensor>();
            long count = images.shape[0];
            for (long start = 0; start < count; start += batch)
            {
                long n = Math.Min(batch, count - start);
                using var scope = NewDisposeScope();
                chunks.Add(encoder.DenseFeatures(images.narrow(0, start, n).to(context.Device), [block])[0].MoveToOuterDisposeScope());
                context.Progress.Report(task, start + n, count);
            }
            var all = cat(chunks, 0);
            foreach (var chunk in chunks) chunk.Dispose();
            return all;
        }
        finally
        {
            encoder.train(training);
        }
    }
}
