using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>What the training loops need from an optimizer: steps at a given lr, gradient clipping, and named state for checkpoints.</summary>
public interface IParameterOptimizer : IDisposable
{
    long StepCount { get; set; }
    IEnumerable<Parameter> Parameters { get; }
    IEnumerable<(string Name, Tensor Tensor)> State { get; }
    void ZeroGrad();
    void Step(double lr);
    /// <summary>
    /// Scales all gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the
    /// norm before clipping as a device tensor (reading it would wait for the device, so only logging should).
    /// </summary>
    Tensor ClipGradNorm(double maxNorm);
}
