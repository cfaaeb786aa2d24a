using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// Images to per-patch pixel vectors and back: [B, C, H, W] <-> [B, L, p*p*C], patches row-major,
/// each vector laid out (p_row, p_col, channel) with channel fastest.
/// </summary>
public static class Patches
{
    public static Tensor Patchify(Tensor images, int patch)
    {
        long batch = images.shape[0], channels = images.shape[1];
        long rows = images.shape[2] / patch, columns = images.shape[3] / patch;
        return images.reshape(batch, channels, rows, patch, columns, patch)
            .permute(0, 2, 4, 3, 5, 1)
            .reshape(batch, rows * columns, patch * patch * channels);
    }

    public static Tensor Unpatchify(Tensor patches, int patch, int channels)
    {
        long batch = patches.shape[0];
        long side = (long)Math.Round(Math.Sqrt(patches.shape[1]));
        return patches.reshape(batch, side, side, patch, patch, channels)
            .permute(0, 5, 1, 3, 2, 4)
            .reshape(batch, channels, side * patch, side * patch);
    }

    /// <summary>Per-patch standardisation over the pixel vector: (x - mean) / sqrt(unbiased var + 1e-6).</summary>
    public static (Tensor Normalised, Tensor Mean, Tensor Std) Standardise(Tensor patches)
    {
        var mean = patches.mean([-1], keepdim: true);
        var std = (patches.var(-1, unbiased: true, keepdim: true) + 1e-6).sqrt();
        return ((patches - mean) / std, mean, std);
    }
}
