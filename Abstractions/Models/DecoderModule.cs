using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Models;

/// <summary>The sizes a decoder is built for: set by the encoder and the target, not by the user.</summary>
public sealed record DecoderShape(int EncoderWidth, GridSize Grid, int OutputWidth);

/// <summary>
/// MAE-style decoder: takes the encoder's output for the visible tokens (cls first), fills the
/// masked slots with a mask token, restores patch order and predicts one vector per patch.
/// </summary>
public abstract class DecoderModule : nn.Module
{
    protected DecoderModule(string name) : base(name) { }

    /// <summary>encoded [B, 1+Nv, De], restoreIds [B, L] -> predictions [B, L, OutputWidth] (cls dropped).</summary>
    public abstract Tensor Decode(Tensor encoded, Tensor restoreIds);

    /// <summary>
    /// The plan the target computes its targets and loss on: the masked patches this decoder
    /// predicts for <paramref name="plan"/>. The default is the plan itself (every masked patch); a
    /// decoder that predicts only some (CrossMAE's predict ratio) returns a plan whose Mask and
    /// MaskedIds hold those only, the visible and restore ids unchanged, and no folds. Since 2.1.
    /// </summary>
    public virtual MaskPlan PredictedPlan(MaskPlan plan) => plan;
}

/// <summary>The decoder plugin contract: builds a decoder once the encoder and target are known.</summary>
public interface IDecoderBuilder
{
    DecoderModule Build(DecoderShape shape);
}
