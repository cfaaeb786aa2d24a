using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Data;

/// <summary>A labelled image set held in memory: square images, one class label each.</summary>
public interface IImageDataset
{
    string Name { get; }
    long Count { get; }
    int Channels { get; }
    int ImageSize { get; }
    int ClassCount { get; }

    /// <summary>int64 [N] class labels (CPU).</summary>
    Tensor Labels { get; }

    /// <summary>Normalised float32 images [B, C, H, W] (CPU) for int64 indices [B].</summary>
    Tensor Images(Tensor indices);

    /// <summary>Per-channel mean and std used by <see cref="Images"/>, to undo it for pictures.</summary>
    (float[] Mean, float[] Std) Normalization { get; }
}
