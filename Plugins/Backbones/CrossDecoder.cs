using SdAE.Training.Layers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Training;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Backbones;

/// <summary>vit_decoder's shape (each block cross-attention + MLP here) and how many masked patches a step predicts.</summary>
public sealed class CrossDecoderOptions : ViTDecoderOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true), Description("Fraction of the masked patches predicted (and in the loss) per training step (CrossMAE: 0.25); 1 predicts every one.")]
    public double PredictRatio { get; set; } = 0.25;
}

/// <summary>Multi-head attention of queries over a separate set of keys and values (no attention among the queries).</summary>
public sealed class CrossAttention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear q;
    readonly Linear kv;
    readonly Linear proj;
    readonly int heads;

    public CrossAttention(int width, int heads) : base(nameof(CrossAttention))
    {
        this.heads = heads;
        q = nn.Linear(width, width);
        kv = nn.Linear(width, width * 2);
        proj = nn.Linear(width, width);
        RegisterComponents();
    }

    /// <summary>queries [B, Nq, D] attend over context [B, Nc, D].</summary>
    public override Tensor forward(Tensor queries, Tensor context)
    {
        long batch = queries.shape[0], count = queries.shape[1], width = queries.shape[2];
        var query = MixedPrecision.Linear(q, queries).view(batch, count, heads, width / heads).transpose(1, 2);
        var keysValues = MixedPrecision.Linear(kv, context).view(batch, context.shape[1], 2, heads, width / heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(query, keysValues[0], keysValues[1]);
        return MixedPrecision.Linear(proj, attended.transpose(1, 2).reshape(batch, count, width));
    }
}

/// <summary>A CrossMAE block: x + cross_attn(norm(x), norm(context)), then x + mlp(norm(x)).</summary>
public sealed class CrossBlock : nn.Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly LayerNorm context_norm;
    readonly CrossAttention attn;
    readonly LayerNorm norm2;
    readonly Mlp mlp;

    public CrossBlock(int width, int heads, double mlpRatio) : base(nameof(CrossBlock))
    {
        norm1 = nn.LayerNorm(width, eps: 1e-6);
        context_norm = nn.LayerNorm(width, eps: 1e-6);
        attn = new CrossAttention(width, heads);
        norm2 = nn.LayerNorm(width, eps: 1e-6);
        mlp = new Mlp(width, (int)(width * mlpRatio));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor context)
    {
        x = x + attn.forward(MixedPrecision.Norm(norm1, x), MixedPrecision.Norm(context_norm, context));
        return x + mlp.forward(MixedPrecision.Norm(norm2, x));
    }
}

/// <summary>
/// CrossMAE's decoder (plugin `cross_decoder`, Fu et al. 2024): a query per predicted masked patch (a
/// learnt mask token plus the patch's sin-cos position) attends, block after block, only to the
/// visible encoder tokens (cls included; embedded to the decoder width, with their positions added),
/// never to other queries; so a patch's prediction does not depend on which other patches are
/// predicted. While training, only the first predict_ratio of each image's masked patches in the
/// plan's random masked order are predicted and in the loss (<see cref="PredictedPlan"/>); in eval
/// mode every masked patch is (pictures). Outputs are [B, L, W] with zeros where nothing is
/// predicted. Left out: the paper's inter-block attention (each decoder block reading a learnt mix
/// of encoder layers); every block reads the encoder's final tokens.
/// </summary>
public sealed class CrossDecoder : DecoderModule
{
    readonly Linear decoder_embed;
    readonly Parameter mask_token;
    readonly Tensor decoder_pos_embed;
    readonly ModuleList<CrossBlock> decoder_blocks;
    readonly LayerNorm decoder_norm;
    readonly Linear decoder_pred;
    readonly double predictRatio;
    readonly int outputWidth;

    public CrossDecoder(CrossDecoderOptions options, DecoderShape shape) : base("cross_decoder")
    {
        predictRatio = options.PredictRatio;
        outputWidth = shape.OutputWidth;
        decoder_embed = nn.Linear(shape.EncoderWidth, options.Width);
        using (var initial = zeros(1, 1, options.Width)) mask_token = nn.Parameter(initial);
        using (var table = SinCosPositionEmbedding.Create(options.Width, shape.Grid)) decoder_pos_embed = table.unsqueeze(0);
        decoder_blocks = new ModuleList<CrossBlock>(Enumerable.Range(0, options.Depth)
            .Select(_ => new CrossBlock(options.Width, options.Heads, options.MlpRatio)).ToArray());
        decoder_norm = nn.LayerNorm(options.Width, eps: 1e-6);
        decoder_pred = nn.Linear(options.Width, shape.OutputWidth);
        RegisterComponents();

        Init.Apply(this);
        using (no_grad()) nn.init.normal_(mask_token, std: 0.02);
    }

    /// <summary>How many of <paramref name="masked"/> masked patches a training step predicts: floor(masked x predict_ratio), at least one.</summary>
    public int PredictedCount(long masked) => (int)Math.Max(1, Math.Floor(masked * predictRatio + 1e-9));

    /// <summary>The patch ids this call predicts [B, Np]: the plan's masked ids in their random order (shuffle = argsort(restore)), the first PredictedCount while training.</summary>
    Tensor PredictedIds(Tensor restoreIds, long visible)
    {
        long masked = restoreIds.shape[1] - visible;
        return restoreIds.argsort(1).narrow(1, visible, training ? PredictedCount(masked) : masked);
    }

    public override MaskPlan PredictedPlan(MaskPlan plan)
    {
        if (!training || predictRatio >= 1) return plan;
        var ids = PredictedIds(plan.RestoreIds!, plan.VisibleIds!.shape[1]);
        var mask = zeros(plan.Mask.shape, dtype: ScalarType.Bool, device: plan.Mask.device).scatter_(1, ids, ones(ids.shape, dtype: ScalarType.Bool, device: ids.device));
        return new MaskPlan { Grid = plan.Grid, Mask = mask, VisibleIds = plan.VisibleIds, MaskedIds = ids, RestoreIds = plan.RestoreIds };
    }

    public override Tensor Decode(Tensor encoded, Tensor restoreIds)
    {
        long batch = encoded.shape[0], visible = encoded.shape[1] - 1, tokens = restoreIds.shape[1];
        var shuffle = restoreIds.argsort(1);
        var positions = decoder_pos_embed.narrow(1, 1, tokens).expand(batch, -1, -1);
        var context = MixedPrecision.Linear(decoder_embed, encoded)
            + cat([decoder_pos_embed.narrow(1, 0, 1).expand(batch, -1, -1), EncoderModule.GatherTokens(positions, shuffle.narrow(1, 0, visible))], 1);
        var ids = PredictedIds(restoreIds, visible);
        var x = mask_token + EncoderModule.GatherTokens(positions, ids);
        foreach (var block in decoder_blocks) x = block.forward(x, context);
        x = MixedPrecision.Linear(decoder_pred, MixedPrecision.Norm(decoder_norm, x));
        return zeros(batch, tokens, outputWidth, dtype: x.dtype, device: x.device)
            .scatter(1, ids.unsqueeze(-1).expand(-1, -1, outputWidth), x);
    }
}

/// <summary>The `cross_decoder` plugin: builds a decoder once the encoder width and target width are known.</summary>
public sealed class CrossDecoderBuilder(CrossDecoderOptions options) : IDecoderBuilder
{
    public DecoderModule Build(DecoderShape shape) => new CrossDecoder(options, shape);
}
