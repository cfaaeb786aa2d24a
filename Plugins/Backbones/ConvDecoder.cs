using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Training;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Backbones;

public sealed class ConvDecoderOptions : IValidatableOptions
{
    [Range(8, 8192), Description("Decoder channels.")]
    public int Width { get; set; } = 64;

    [Range(1, 64), Description("Convolution blocks (data2vec 2.0 images: 3).")]
    public int Depth { get; set; } = 3;

    [Range(1, 15), Description("Convolution kernel side, odd (data2vec 2.0: 3).")]
    public int Kernel { get; set; } = 3;

    [Range(1, 1024), Description("Convolution groups; must divide the width (data2vec 2.0: 16).")]
    public int Groups { get; set; } = 16;

    public IEnumerable<OptionError> Validate()
    {
        if (Width % Groups != 0) yield return new("groups", $"width {Width} must divide by groups {Groups}.");
        if (Kernel % 2 == 0) yield return new("kernel", $"kernel {Kernel} must be odd, so the grid keeps its size.");
    }
}

/// <summary>One block of the convolutional decoder: grouped convolution over the patch grid, LayerNorm over channels, GELU.</summary>
public sealed class ConvBlock : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly LayerNorm norm;

    public ConvBlock(int width, int kernel, int groups) : base(nameof(ConvBlock))
    {
        conv = nn.Conv2d(width, width, kernel, padding: kernel / 2, groups: groups);
        norm = nn.LayerNorm(width, eps: 1e-6);
        RegisterComponents();
    }

    /// <summary>[B, D, rows, columns] -> the same shape.</summary>
    public override Tensor forward(Tensor map)
    {
        var convolved = conv.forward(map);
        return nn.functional.gelu(MixedPrecision.Norm(norm, convolved.permute(0, 2, 3, 1)).permute(0, 3, 1, 2));
    }
}

/// <summary>
/// data2vec 2.0's light decoder (plugin `conv_decoder`): the visible tokens embedded to the decoder
/// width, a learnt mask token in every masked slot, patch order restored and laid out on the patch
/// grid; residual blocks of grouped convolution + LayerNorm + GELU; a Linear per patch to the
/// target's width. The cls output is not used.
/// </summary>
public sealed class ConvDecoder : DecoderModule
{
    readonly Linear decoder_embed;
    readonly Parameter mask_token;
    readonly ModuleList<ConvBlock> decoder_blocks;
    readonly Linear decoder_pred;
    readonly Abstractions.Masking.GridSize grid;

    public ConvDecoder(ConvDecoderOptions options, DecoderShape shape) : base("conv_decoder")
    {
        grid = shape.Grid;
        decoder_embed = nn.Linear(shape.EncoderWidth, options.Width);
        using (var initial = zeros(1, 1, options.Width)) mask_token = nn.Parameter(initial);
        decoder_blocks = new ModuleList<ConvBlock>(Enumerable.Range(0, options.Depth)
            .Select(_ => new ConvBlock(options.Width, options.Kernel, options.Groups)).ToArray());
        decoder_pred = nn.Linear(options.Width, shape.OutputWidth);
        RegisterComponents();

        Init.Apply(this);
        using (no_grad()) nn.init.normal_(mask_token, std: 0.02);
    }

    public override Tensor Decode(Tensor encoded, Tensor restoreIds)
    {
        var x = MixedPrecision.Linear(decoder_embed, encoded.narrow(1, 1, encoded.shape[1] - 1));
        long batch = x.shape[0], visible = x.shape[1], tokens = restoreIds.shape[1];
        var filled = cat([x, mask_token.expand(batch, tokens - visible, -1).to_type(x.dtype)], 1);
        var map = EncoderModule.TokensToMap(EncoderModule.GatherTokens(filled, restoreIds), grid.Rows, grid.Columns);
        foreach (var block in decoder_blocks) map = map + block.forward(map);
        return MixedPrecision.Linear(decoder_pred, map.flatten(2).transpose(1, 2));
    }
}

/// <summary>The `conv_decoder` plugin: builds a decoder once the encoder width and target width are known.</summary>
public sealed class ConvDecoderBuilder(ConvDecoderOptions options) : IDecoderBuilder
{
    public DecoderModule Build(DecoderShape shape) => new ConvDecoder(options, shape);
}
