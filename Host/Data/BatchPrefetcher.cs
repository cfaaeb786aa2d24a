using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// Prepares an epoch's batches (gather, convert, augment) on a background thread, up to
/// <c>depth</c> ahead, so the training loop (and a GPU) does not wait for data. Batches come out
/// in the same order with the same augmentation as without prefetching. The consumer owns and
/// disposes each batch it takes.
/// </summary>
public sealed class BatchPrefetcher : IDisposable
{
    readonly BlockingCollection<Tensor> ready;
    readonly CancellationTokenSource stop = new();
    readonly Task producer;

    public BatchPrefetcher(long batches, Func<long, Tensor> prepare, int depth)
    {
        ready = new BlockingCollection<Tensor>(Math.Max(1, depth));
        producer = Task.Run(() =>
        {
            try
            {
                for (long i = 0; i < batches && !stop.IsCancellationRequested; i++)
                {
                    Tensor batch;
                    using (var scope = NewDisposeScope()) batch = prepare(i).MoveToOuterDisposeScope();
                    ready.Add(batch, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
            finally
            {
                ready.CompleteAdding();
            }
        });
    }

    /// <summary>The next batch; rethrows what went wrong while preparing it.</summary>
    public Tensor Next()
    {
        if (ready.TryTake(out var batch, Timeout.Infinite)) return batch;
        producer.GetAwaiter().GetResult();
        throw new InvalidOperationException("no more batches in this epoch");
    }

    public void Dispose()
    {
        stop.Cancel();
        try { producer.Wait(); } catch (AggregateException) { }
        while (ready.TryTake(out var left)) left.Dispose();
        ready.Dispose();
        stop.Dispose();
    }
}
