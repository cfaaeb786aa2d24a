using SdAE.Host.Config;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>Applies the experiment's `precision:` and says which type matrix products use under autocast.</summary>
public static class PrecisionSettings
{
    /// <summary>Sets TF32 for CUDA matmuls and convolutions; returns bf16 for mixed precision, null for fp32 compute.</summary>
    public static torch.ScalarType? Apply(Precision precision, torch.Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            bool tf32 = precision == Precision.Tf32;
            torch.backends.cuda.matmul.allow_tf32 = tf32;
            torch.backends.cudnn.allow_tf32 = tf32;
        }
        return precision == Precision.Bf16 ? torch.ScalarType.BFloat16 : null;
    }
}
