using static TorchSharp.torch;

namespace SdAE.Tests.Support;

public static class TensorAssert
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
