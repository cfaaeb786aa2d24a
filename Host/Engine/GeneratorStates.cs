using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// The random-generator states a mid-epoch checkpoint saves and a resume restores: the epoch's
/// mask generator and libtorch's CPU generator (drop path draws from it on a CPU). Placeholders of
/// the right shape until a checkpoint fills them.
/// </summary>
public sealed class GeneratorStates : IDisposable
{
    public Tensor Mask { get; } = new Generator(0).get_state().DetachFromDisposeScope();
    public Tensor TorchCpu { get; } = get_rng_state().DetachFromDisposeScope();

    public IEnumerable<(string Name, Tensor Tensor)> Entries => [("rng.mask", Mask), ("rng.torch_cpu", TorchCpu)];

    /// <summary>Copies the generators' current states in, before a mid-epoch checkpoint.</summary>
    public void Capture(Generator mask)
    {
        using var maskState = mask.get_state();
        using var torchState = get_rng_state();
        Mask.copy_(maskState);
        TorchCpu.copy_(torchState);
    }

    /// <summary>Puts the saved states back, when an epoch resumes where a mid-epoch checkpoint left it.</summary>
    public void Restore(Generator mask)
    {
        mask.set_state(Mask);
        set_rng_state(TorchCpu);
    }

    public void Dispose()
    {
        Mask.Dispose();
        TorchCpu.Dispose();
    }
}
