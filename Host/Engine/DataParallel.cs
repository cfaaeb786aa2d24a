using SdAE.Abstractions.Distributed;
using SdAE.Training.Distributed;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>
/// Joins the other ranks of a data-parallel run (mpirun or srun started several processes), or
/// stays one process. Each rank trains on an equal share of every global batch (`pretrain.batch`).
/// </summary>
public static class DataParallel
{
    public static ICollectives Start(torch.Device device, int globalBatch, ITrainingDisplay display)
    {
        var ranks = Collectives.Start(cuda: device.type == DeviceType.CUDA);   // a missing library: CollectivesException, one line from CliErrors
        if (ranks.Size == 1) return ranks;
        if (globalBatch % ranks.Size != 0)
        {
            ranks.Dispose();
            int lower = globalBatch / ranks.Size * ranks.Size;
            throw new UserError($"pretrain.batch {globalBatch} is the global batch and does not split evenly over {ranks.Size} ranks.",
                $"use a multiple of {ranks.Size} (e.g. {(lower > 0 ? lower : ranks.Size)} or {lower + ranks.Size}), or another number of ranks.");
        }
        display.Info($"data parallel: {ranks.Size} ranks over {ranks.Engine}, {globalBatch / ranks.Size} images of each batch of {globalBatch} per rank; rank 0 writes the run folder");
        return ranks;
    }
}
