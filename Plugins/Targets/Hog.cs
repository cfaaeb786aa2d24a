using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>How the histograms of a patch are L2-normalised (HOG's local contrast normalisation).</summary>
public enum HogNormalization
{
    /// <summary>The patch's cells of one channel together, as a HOG block of cells.</summary>
    Block,
    /// <summary>Each cell's histogram on its own.</summary>
    Cell,
}

/// <summary>
/// Histograms of oriented gradients on tensors (Dalal and Triggs): per channel, gradients by central
/// differences [-1, 0, 1] (edges replicated), unsigned orientation atan2(gy, gx) mod pi in equal bins
/// (each pixel votes its gradient magnitude into one bin), summed over square cells of pixels.
/// </summary>
public static class Hog
{
    /// <summary>[B, C, H, W] -> [B, C, bins, H / cell, W / cell].</summary>
    public static Tensor CellHistograms(Tensor images, int cell, int bins)
    {
        using var scope = NewDisposeScope();
        long batch = images.shape[0], channels = images.shape[1], height = images.shape[2], width = images.shape[3];
        var padded = nn.functional.pad(images, [1, 1, 1, 1], PaddingModes.Replicate);
        var gx = padded.narrow(2, 1, height).narrow(3, 2, width) - padded.narrow(2, 1, height).narrow(3, 0, width);
        var gy = padded.narrow(2, 2, height).narrow(3, 1, width) - padded.narrow(2, 0, height).narrow(3, 1, width);
        var magnitude = (gx.square() + gy.square()).sqrt();
        var angle = atan2(gy, gx).remainder(Math.PI);
        var bin = (angle / (Math.PI / bins)).floor().clamp(0, bins - 1).to_type(ScalarType.Int64);
        var votes = zeros([batch, channels, bins, height, width], dtype: images.dtype, device: images.device)
            .scatter_(2, bin.unsqueeze(2), magnitude.unsqueeze(2));
        var summed = nn.functional.avg_pool2d(votes.reshape(batch, channels * bins, height, width), cell) * (cell * cell);
        return summed.reshape(batch, channels, bins, height / cell, width / cell).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The HOG descriptor of each patch [B, L, C x cells x bins] (patches row-major; per channel its
    /// cells row-major, each cell's bins), L2-normalised per block (a channel's cells of the patch) or per cell.
    /// </summary>
    public static Tensor PatchDescriptors(Tensor images, int patch, int cell, int bins, HogNormalization normalization)
    {
        using var scope = NewDisposeScope();
        var histograms = CellHistograms(images, cell, bins);   // [B, C, bins, h, w]
        long batch = histograms.shape[0], channels = histograms.shape[1], perSide = patch / cell;
        long rows = histograms.shape[3] / perSide, columns = histograms.shape[4] / perSide;
        if (normalization == HogNormalization.Cell) histograms = nn.functional.normalize(histograms, p: 2, dim: 2);
        var perPatch = histograms.reshape(batch, channels, bins, rows, perSide, columns, perSide)
            .permute(0, 3, 5, 1, 4, 6, 2)   // [B, rows, columns, C, cell row, cell column, bins]
            .reshape(batch, rows * columns, channels, perSide * perSide * bins);
        if (normalization == HogNormalization.Block) perPatch = nn.functional.normalize(perPatch, p: 2, dim: 3);
        return perPatch.flatten(2).MoveToOuterDisposeScope();
    }
}
