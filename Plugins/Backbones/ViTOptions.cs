using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Options;

namespace SdAE.Plugins.Backbones;

/// <summary>Named ViT sizes; explicit width/depth/heads override the preset's.</summary>
public enum ViTPreset
{
    /// <summary>width 64, depth 4, 4 heads: CPU-sized.</summary>
    Micro,
    /// <summary>width 192, depth 12, 3 heads (ViT-Ti).</summary>
    Tiny,
    /// <summary>width 384, depth 12, 6 heads (ViT-S).</summary>
    Small,
    /// <summary>width 768, depth 12, 12 heads (ViT-B).</summary>
    Base,
}

public sealed class ViTOptions : IValidatableOptions
{
    [Description("Size preset: micro (64x4, 4 heads), tiny (192x12, 3), small (384x12, 6), base (768x12, 12).")]
    public ViTPreset Preset { get; set; } = ViTPreset.Micro;

    [Range(8, 8192), Description("Token width; default from the preset.")]
    public int? Width { get; set; }

    [Range(1, 128), Description("Number of blocks; default from the preset.")]
    public int? Depth { get; set; }

    [Range(1, 128), Description("Attention heads; default from the preset.")]
    public int? Heads { get; set; }

    [Range(1, 128), Description("Patch side in pixels; must divide the image size.")]
    public int Patch { get; set; } = 4;

    [Range(0.5, 16.0), Description("Hidden width of each block's MLP as a multiple of the token width.")]
    public double MlpRatio { get; set; } = 4.0;

    [Range(0.0, 0.99), Description("Stochastic-depth rate of the last block; rises linearly from 0 over depth.")]
    public double DropPath { get; set; }

    [Description("Learnable mask token inside the encoder (BEiT-style targets).")]
    public bool MaskToken { get; set; }

    [Range(0.0, 10.0), Description("LayerScale init value; 0 disables LayerScale.")]
    public double LayerScale { get; set; }

    public ViTOptions WithDropPath(double rate)
    {
        var copy = (ViTOptions)MemberwiseClone();
        copy.DropPath = rate;
        return copy;
    }

    public (int Width, int Depth, int Heads) Resolve()
    {
        var (width, depth, heads) = Preset switch
        {
            ViTPreset.Micro => (64, 4, 4),
            ViTPreset.Tiny => (192, 12, 3),
            ViTPreset.Small => (384, 12, 6),
            _ => (768, 12, 12),
        };
        return (Width ?? width, Depth ?? depth, Heads ?? heads);
    }

    public IEnumerable<OptionError> Validate()
    {
        var (width, _, heads) = Resolve();
        if (width % heads != 0)
            yield return new(Width is null ? "heads" : "width", $"width {width} must divide by heads {heads}.");
        if (width % 4 != 0)
            yield return new("width", $"width {width} must divide by 4 for the 2-D sin-cos position embedding.");
    }
}

/// <summary>A transformer decoder's shape; `cross_decoder`'s options add to these.</summary>
public class ViTDecoderOptions : IValidatableOptions
{
    [Range(8, 8192), Description("Decoder token width.")]
    public int Width { get; set; } = 128;

    [Range(1, 64), Description("Decoder blocks.")]
    public int Depth { get; set; } = 2;

    [Range(1, 128), Description("Attention heads; must divide the width.")]
    public int Heads { get; set; } = 4;

    [Range(0.5, 16.0), Description("Hidden width of each block's MLP as a multiple of the token width.")]
    public double MlpRatio { get; set; } = 4.0;

    public IEnumerable<OptionError> Validate()
    {
        if (Width % Heads != 0) yield return new("heads", $"width {Width} must divide by heads {Heads}.");
        if (Width % 4 != 0) yield return new("width", $"width {Width} must divide by 4 for the 2-D sin-cos position embedding.");
    }
}
