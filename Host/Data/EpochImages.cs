using SdAE.Abstractions.Randomness;
using SdAE.Training;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// One pre-training epoch's images for this rank, batch by batch: the epoch's order (seeded by
/// (seed, epoch)), this rank's share of each global batch, augmented with the epoch's draws (the
/// other ranks' draws skipped, so an image is augmented as in one process), pinned for the copy
/// to the device, optionally prepared ahead on a background thread. From a mid-epoch resume at
/// step <c>first</c>, the draws of the earlier steps are replayed first.
/// </summary>
public sealed class EpochImages : IDisposable
{
    readonly StoredImageDataset train;
    readonly Augmentation augmentation;
    readonly int batch;
    readonly (long Start, int Size) share;
    readonly Device device;
    readonly Tensor order;
    readonly Random augmentRandom;
    readonly BatchPrefetcher? prefetcher;

    public EpochImages(StoredImageDataset train, Augmentation augmentation, int batch, (long Start, int Size) share,
        int seed, int epoch, long first, long steps, int prefetch, Device device)
    {
        (this.train, this.augmentation, this.batch, this.share, this.device) = (train, augmentation, batch, share, device);
        order = EpochBatches.Permutation(train.Count, seed, epoch);
        augmentRandom = Seeding.Random(seed, RandomStream.Augmentation, epoch);
        if (first > 0) augmentation.Skip(first * batch, train.ImageSize, augmentRandom);
        prefetcher = prefetch > 0 ? new BatchPrefetcher(steps - first, i => Prepare(first + i), prefetch) : null;
    }

    /// <summary>Batch <paramref name="i"/> of the epoch on the device (in the caller's dispose scope); called for consecutive i.</summary>
    public Tensor Batch(long i)
    {
        using var prepared = prefetcher?.Next() ?? Prepare(i);
        return HostToDevice.Copy(prepared, device);
    }

    Tensor Prepare(long i)
    {
        int imageSize = train.ImageSize;
        augmentation.Skip(share.Start, imageSize, augmentRandom);
        var images = augmentation.Apply(train.Images(order.narrow(0, i * batch + share.Start, share.Size)), augmentRandom);
        augmentation.Skip(batch - share.Start - share.Size, imageSize, augmentRandom);
        return HostToDevice.Pin(images, device);
    }

    public void Dispose()
    {
        prefetcher?.Dispose();
        order.Dispose();
    }
}
