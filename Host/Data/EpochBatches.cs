using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// The order of one training epoch: a permutation drawn from a generator seeded by (seed, epoch),
/// cut into full batches (the last partial batch is dropped, as MAE does). Resuming at an epoch
/// boundary therefore replays exactly the same batches.
/// </summary>
public static class EpochBatches
{
    public static long StepsPerEpoch(long datasetSize, int batch) => datasetSize / batch;

    /// <summary>A seed derived from the experiment seed, the epoch and a stream name, stable across runs.</summary>
    public static long DeriveSeed(int seed, int epoch, int stream) =>
        (long)(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)(uint)stream * 0x165667B19E3779F9UL)) & long.MaxValue;

    public static Tensor Permutation(long datasetSize, int seed, int epoch)
    {
        using var generator = new Generator((ulong)DeriveSeed(seed, epoch, stream: 1));
        return randperm(datasetSize, generator: generator);
    }
}
