using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Models;

/// <summary>How an evaluation turns encoder tokens into one feature vector per image.</summary>
public enum FeaturePooling
{
    /// <summary>The cls token's output.</summary>
    Cls,
    /// <summary>The mean of the patch tokens' outputs.</summary>
    Mean,
}

/// <summary>
/// A backbone: patch embedding + position embedding + blocks + final norm. Plugins derive from it.
/// Token sequences always start with a cls token; patch ids are row-major grid positions.
/// </summary>
public abstract class EncoderModule : nn.Module
{
    protected EncoderModule(string name) : base(name) { }

    public abstract int Width { get; }
    public abstract int Depth { get; }
    public abstract int PatchSize { get; }
    public abstract int Channels { get; }
    public abstract int ImageSize { get; }
    public GridSize Grid => new(ImageSize / PatchSize, ImageSize / PatchSize);

    /// <summary>Patch tokens with their position embeddings, no cls: [B, L, D].</summary>
    public abstract Tensor EmbedPatches(Tensor images);

    /// <summary>Prepends cls, runs the blocks and the final norm: [N, n, D] -> [N, 1+n, D].</summary>
    public abstract Tensor EncodeTokens(Tensor patchTokens);

    /// <summary>Whether <see cref="EncodeWithMaskToken"/> is available (the encoder owns a learnt mask token).</summary>
    public virtual bool HasMaskToken => false;

    /// <summary>BEiT mode: masked patches replaced by a learnt mask token, all tokens encoded: [B, 1+L, D].</summary>
    public virtual Tensor EncodeWithMaskToken(Tensor images, Tensor mask) =>
        throw new NotSupportedException($"backbone {GetType().Name} has no mask token (HasMaskToken is false).");

    /// <summary>
    /// The block index a parameter belongs to, for layer-wise lr decay: 0 for the embeddings,
    /// j+1 for block j, <see cref="Depth"/>+1 for the final norm.
    /// </summary>
    public abstract int LayerIndexOf(string parameterName);

    /// <summary>
    /// A new, independently initialised encoder of the same shape (an EMA teacher, a from-scratch
    /// baseline, a copy to fine-tune), optionally with another drop-path rate.
    /// </summary>
    public abstract EncoderModule CreateSameShape(double? dropPath = null);

    /// <summary>A same-shape encoder holding a copy of this one's weights (the original is untouched).</summary>
    public EncoderModule Copy(double? dropPath = null)
    {
        var copy = CreateSameShape(dropPath);
        var source = state_dict();
        using var _ = torch.no_grad();
        foreach (var (name, tensor) in copy.state_dict())
            tensor.copy_(source[name]);
        return copy;
    }

    /// <summary>Whether <see cref="ClsAttention"/> is available (guided masking needs it). Since 2.1.</summary>
    public virtual bool HasClsAttention => false;

    /// <summary>
    /// The last block's attention from the [CLS] query to each patch, averaged over heads, for
    /// images [B, C, H, W] with every patch encoded: [B, L] (the cls key's share left out). Since 2.1.
    /// </summary>
    public virtual Tensor ClsAttention(Tensor images) =>
        throw new NotSupportedException($"backbone {GetType().Name} gives no [CLS] attention (HasClsAttention is false).");

    /// <summary>Whether <see cref="DenseFeatures"/> is available (dense heads need it).</summary>
    public virtual bool HasDenseFeatures => false;

    /// <summary>
    /// Patch-grid features for dense heads (segmentation, detection): images [B, C, H, W] of any
    /// size the patch divides (the position embedding regenerated or interpolated for that grid),
    /// all patches encoded, and the patch tokens after each block in <paramref name="blocks"/>
    /// (0-based; the last block's after the final norm) as maps [B, D, H/p, W/p].
    /// </summary>
    public virtual IReadOnlyList<Tensor> DenseFeatures(Tensor images, IReadOnlyList<int> blocks) =>
        throw new NotSupportedException($"backbone {GetType().Name} gives no patch-grid features (HasDenseFeatures is false).");

    /// <summary>Patch tokens [B, h*w, D] (row-major) as a map [B, D, h, w].</summary>
    public static Tensor TokensToMap(Tensor patchTokens, long rows, long columns) =>
        patchTokens.transpose(1, 2).reshape(patchTokens.shape[0], patchTokens.shape[2], rows, columns);

    /// <summary>
    /// A learnt position embedding's patch part [1, L, D] for grid <paramref name="from"/>, resized
    /// to grid <paramref name="to"/> by bicubic interpolation in 2-D (as timm and MAE fine-tuning at
    /// another resolution do): [1, L', D].
    /// </summary>
    public static Tensor InterpolatePositions(Tensor patchPositions, GridSize from, GridSize to)
    {
        if (from == to) return patchPositions;
        var map = TokensToMap(patchPositions, from.Rows, from.Columns);
        var resized = nn.functional.interpolate(map, [to.Rows, to.Columns], mode: InterpolationMode.Bicubic, align_corners: false);
        return resized.flatten(2).transpose(1, 2);
    }

    /// <summary>MAE mode: encodes only the visible patches ([B, Nv] ids): [B, 1+Nv, D].</summary>
    public Tensor EncodeVisible(Tensor images, Tensor visibleIds) =>
        EncodeTokens(GatherTokens(EmbedPatches(images), visibleIds));

    /// <summary>All patches, no masking: [B, 1+L, D].</summary>
    public Tensor EncodeAll(Tensor images) => EncodeTokens(EmbedPatches(images));

    /// <summary>One feature vector per image for evaluation: [B, D].</summary>
    public Tensor Features(Tensor images, FeaturePooling pooling)
    {
        var tokens = EncodeAll(images);
        return pooling == FeaturePooling.Cls
            ? tokens.select(1, 0)
            : tokens.narrow(1, 1, tokens.shape[1] - 1).mean([1]);
    }

    /// <summary>Picks tokens [B, L, D] at ids [B, n] -> [B, n, D].</summary>
    public static Tensor GatherTokens(Tensor tokens, Tensor ids) =>
        tokens.gather(1, ids.unsqueeze(-1).expand(-1, -1, tokens.shape[2]));
}
