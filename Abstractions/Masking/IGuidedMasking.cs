using TorchSharp;

namespace SdAE.Abstractions.Masking;

/// <summary>
/// A masking strategy that reads the model (AttMask): before each plan the host gives it, per
/// image of the batch, how much the target's teacher attends to each patch: the last block's
/// [CLS] attention, averaged over heads, computed without gradients and in eval mode
/// (<see cref="Models.EncoderModule.ClsAttention"/>). Needs a target that provides a teacher
/// (<see cref="Targets.ITeacherProvider"/>) and a backbone that gives the attention. Since 2.1.
/// </summary>
public interface IGuidedMasking : IMaskingStrategy
{
    /// <summary><paramref name="guide"/>: float [B, L] on the CPU, the [CLS] attention to each patch (the cls key left out).</summary>
    MaskPlan Sample(int batch, GridSize grid, torch.Generator generator, torch.Tensor guide);
}
