using SdAE.Abstractions.Masking;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Targets;

/// <summary>A target whose predictions are pixels can turn them back into images, for reconstruction pictures.</summary>
public interface IPixelReconstruction
{
    /// <summary>Normalised images [B, C, H, W]: masked patches from the prediction (de-normalised), visible ones from the input.</summary>
    Tensor Reconstruct(Tensor prediction, Tensor images, MaskPlan plan);
}
