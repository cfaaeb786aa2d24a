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

/// <summary>Where training stands, for targets with schedules (EMA momentum).</summary>
public readonly record struct TrainingProgress(int Epoch, int TotalEpochs, long Step, long TotalSteps);

/// <summary>A scalar loss and optional extra scalars to log (masked accuracy, codebook usage).</summary>
public sealed record TargetLoss(Tensor Loss, IReadOnlyDictionary<string, Tensor>? Metrics = null);

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

    /// <summary>Targets for a batch of normalised images; computed without gradients.</summary>
    Tensor ComputeTargets(Tensor images, MaskPlan plan);

    /// <summary>prediction: [B, L, W] per-patch outputs (decoder, or encoder tokens without cls).</summary>
    TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan);

    void AfterStep(TrainingProgress progress) { }
    void AfterEpoch(TrainingProgress progress) { }
}
