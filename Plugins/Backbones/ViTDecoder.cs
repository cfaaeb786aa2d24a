using SdAE.Training.Layers;
using SdAE.Training;
using SdAE.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Backbones;

/// <summary>
/// MAE's decoder (plugin `vit_decoder`): Linear to the decoder width, a mask token in every masked
/// slot, patch order restored, fixed sin-cos position embedding, blocks, LayerNorm, and a Linear
/// to the target's width. The cls output is dropped.
/// </summary>
public sealed class ViTDecoder : DecoderModule
{
    readonly Linear decoder_embed;
    readonly Parameter mask_token;
    readonly Tensor decoder_pos_embed;
    readonly ModuleList<Block> decoder_blocks;
    readonly LayerNorm decoder_norm;
    readonly Linear decoder_pred;

    public ViTDecoder(ViTDecoderOptions options, DecoderShape shape) : base("vit_decoder")
    {
        decoder_embed = nn.Linear(shape.EncoderWidth, options.Width);
        using (var initial = zeros(1, 1, options.Width)) mask_token = nn.Parameter(initial);
        using (var table = SinCosPositionEmbedding.Create(options.Width, shape.Grid)) decoder_pos_embed = table.unsqueeze(0);
        decoder_blocks = new ModuleList<Block>(Enumerable.Range(0, options.Depth)
            .Select(_ => new Block(options.Width, options.Heads, options.MlpRatio, dropPath: 0)).ToArray());
        decoder_norm = nn.LayerNorm(options.Width, eps: 1e-6);
        decoder_pred = nn.Linear(options.Width, shape.OutputWidth);
        RegisterComponents();

        Init.Apply(this);
        using (no_grad()) nn.init.normal_(mask_token, std: 0.02);
    }

    public override Tensor Decode(Tensor encoded, Tensor restoreIds)
    {
        var x = MixedPrecision.Linear(decoder_embed, encoded);
        long batch = x.shape[0], visible = x.shape[1] - 1, tokens = restoreIds.shape[1];
        var filled = cat([x.narrow(1, 1, visible), mask_token.expand(batch, tokens - visible, -1)], 1);
        var ordered = EncoderModule.GatherTokens(filled, restoreIds);
        x = cat([x.narrow(1, 0, 1), ordered], 1) + decoder_pos_embed;
        foreach (var block in decoder_blocks) x = block.forward(x);
        x = MixedPrecision.Linear(decoder_pred, MixedPrecision.Norm(decoder_norm, x));
        return x.narrow(1, 1, tokens);
    }
}

/// <summary>The `vit_decoder` plugin: builds a decoder once the encoder width and target width are known.</summary>
public sealed class ViTDecoderBuilder(ViTDecoderOptions options) : IDecoderBuilder
{
    public DecoderModule Build(DecoderShape shape) => new ViTDecoder(options, shape);
}
