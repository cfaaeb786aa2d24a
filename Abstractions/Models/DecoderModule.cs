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
}

/// <summary>The decoder plugin contract: builds a decoder once the encoder and target are known.</summary>
public interface IDecoderBuilder
{
    DecoderModule Build(DecoderShape shape);
}
