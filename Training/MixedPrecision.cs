using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>
/// Autocast for TorchSharp, which has none: inside <see cref="Autocast"/>, modules that route their
/// matrix products through <see cref="Linear"/> and <see cref="Conv"/> compute them in the lower
/// precision (bf16) from the fp32 master weights, while <see cref="Norm"/> runs LayerNorm in fp32.
/// Residual sums promote back to fp32, attention's softmax statistics are kept in fp32 by the
/// kernel, and losses cast predictions to fp32. Outside a scope everything is plain fp32.
/// </summary>
public static class MixedPrecision
{
    [ThreadStatic] static ScalarType? compute;

    /// <summary>Enters a region where products run in <paramref name="type"/>; null leaves everything fp32.</summary>
    public static IDisposable Autocast(ScalarType? type) => new Scope(type);

    public static Tensor Linear(Linear layer, Tensor x) => compute is { } type
        ? nn.functional.linear(x.to(type), layer.weight!.to(type), layer.bias?.to(type))
        : layer.forward(x);

    public static Tensor Conv(Conv2d layer, Tensor x, long stride) => compute is { } type
        ? nn.functional.conv2d(x.to(type), layer.weight!.to(type), layer.bias?.to(type), strides: [stride, stride])
        : layer.forward(x);

    public static Tensor Norm(LayerNorm layer, Tensor x) =>
        layer.forward(x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32));

    /// <summary>A prediction as fp32, for losses.</summary>
    public static Tensor Full(Tensor x) => x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);

    sealed class Scope : IDisposable
    {
        readonly ScalarType? previous = compute;
        public Scope(ScalarType? type) => compute = type;
        public void Dispose() => compute = previous;
    }
}
