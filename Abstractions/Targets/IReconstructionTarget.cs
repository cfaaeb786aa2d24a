using SdAE.Abstractions.Data;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Targets;

/// <summary>What the encoder sees during pre-training with a given target.</summary>
public enum EncoderInput
{
    /// <summary>Only visible patches (MAE, SdAE); a decoder predicts the masked ones.</summary>
    VisibleTokens,
    /// <summary>All patches, masked ones replaced by a mask token (BEiT); no decoder.</summary>
    MaskTokens,
    /// <summary>
    /// Only visible patches (the context), and the target predicts from the encoder's output with
    /// parts it owns (I-JEPA's predictor, its <see cref="IReconstructionTarget.TrainableModule"/>); no
    /// decoder. <see cref="IReconstructionTarget.Loss"/> gets the encoder's output [B, 1+Nv, D] as
    /// its prediction. Since 2.2.
    /// </summary>
    ContextTokens,
}

/// <summary>
/// Declares what the encoder sees with this target; a target without it uses
/// <see cref="EncoderInput.VisibleTokens"/> and needs a decoder.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class UsesEncoderInputAttribute(EncoderInput input) : Attribute
{
    public EncoderInput Input { get; } = input;

    public static EncoderInput Of(Type targetType) =>
        targetType.GetCustomAttributes(typeof(UsesEncoderInputAttribute), true)
            .OfType<UsesEncoderInputAttribute>().FirstOrDefault()?.Input ?? EncoderInput.VisibleTokens;
}

/// <summary>
/// Where training stands, for targets with schedules (EMA momentum). After step s of epoch e
/// (both 0-based): <see cref="CurrentEpoch"/> e, <see cref="CompletedEpochs"/> e,
/// <see cref="CompletedSteps"/> s + 1. After epoch e: <see cref="CurrentEpoch"/> e (the epoch just
/// finished), <see cref="CompletedEpochs"/> e + 1.
/// </summary>
public readonly record struct TrainingProgress
{
    /// <summary>The 0-based epoch being trained (or, after an epoch, the one just finished).</summary>
    public int CurrentEpoch { get; init; }
    /// <summary>Epochs finished so far.</summary>
    public int CompletedEpochs { get; init; }
    public int TotalEpochs { get; init; }
    /// <summary>Optimizer steps taken so far, over all epochs.</summary>
    public long CompletedSteps { get; init; }
    public long TotalSteps { get; init; }
}

/// <summary>A scalar loss and optional extra scalars to log (masked accuracy, codebook usage).</summary>
public sealed class TargetLoss(Tensor loss)
{
    /// <summary>The scalar the optimizer minimises.</summary>
    public Tensor Loss { get; } = loss;
    /// <summary>Extra scalars to log by name (read only on logging steps), or null.</summary>
    public IReadOnlyDictionary<string, Tensor>? Metrics { get; init; }
}

/// <summary>
/// What the student must predict for masked patches, and the loss. Lifecycle: <see cref="Attach"/>
/// once the student encoder exists, <see cref="Prepare"/> once before training (codebooks), then per
/// step <see cref="ComputeTargets"/> + <see cref="Loss"/>, and the hooks after steps and epochs.
/// </summary>
public interface IReconstructionTarget : IDisposable
{
    /// <summary>The decoder output width this target needs (pixels per patch, teacher width...).</summary>
    int PredictionWidth(EncoderModule student);

    void Attach(EncoderModule student);

    void Prepare(IImageDataset train) { }

    /// <summary>Parts trained with the model (a token classifier), or null.</summary>
    nn.Module? TrainableModule => null;

    /// <summary>Untrained state saved in checkpoints (an EMA teacher), or null.</summary>
    nn.Module? StateModule => null;

    /// <summary>
    /// Masked versions of each image per step (data2vec 2.0's several masks per image, one teacher
    /// pass). With M &gt; 1 the host draws M plans per image (<see cref="MaskPlan.MasksPerImage"/>),
    /// the student sees each image M times, once per plan row, and <see cref="ComputeTargets"/> gets
    /// the B images once with the plan's B x M rows, and returns targets for every row. Since 2.1.
    /// </summary>
    int MasksPerImage => 1;

    /// <summary>Targets for a batch of normalised images, one per plan row; computed without gradients.</summary>
    Tensor ComputeTargets(Tensor images, MaskPlan plan);

    /// <summary>
    /// prediction: [B, L, W] per-patch outputs (decoder, or encoder tokens without cls); for
    /// <see cref="EncoderInput.ContextTokens"/> the encoder's output for the visible tokens, [B, 1+Nv, D].
    /// </summary>
    TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan);

    void AfterStep(TrainingProgress progress) { }
    void AfterEpoch(TrainingProgress progress) { }
}
