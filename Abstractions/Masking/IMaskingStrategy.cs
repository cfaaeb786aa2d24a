using TorchSharp;

namespace SdAE.Abstractions.Masking;

/// <summary>Chooses the masked patches. Pure tensor code, deterministic for a given generator.</summary>
public interface IMaskingStrategy
{
    /// <summary>Whether plans carry visible/masked ids (needed by encoders that drop masked tokens).</summary>
    bool ProducesIds { get; }

    MaskPlan Sample(int batch, GridSize grid, torch.Generator generator);
}
