using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>Global-norm gradient clipping computed on the device, without reading the norm back to the host.</summary>
public static class GradientClipping
{
    /// <summary>The factor min(1, maxNorm / (norm + 1e-6)) that brings a global gradient norm down to <paramref name="maxNorm"/>.</summary>
    public static Tensor Scale(Tensor norm, double maxNorm) => (norm + 1e-6).reciprocal_().mul_(maxNorm).clamp_max_(1.0);
}
