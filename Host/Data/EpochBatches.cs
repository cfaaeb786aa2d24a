using SdAE.Abstractions.Randomness;
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

    public static Tensor Permutation(long datasetSize, int seed, int epoch)
    {
        using var generator = Seeding.Generator(seed, RandomStream.EpochOrder, epoch);
        return randperm(datasetSize, generator: generator);
    }
}
