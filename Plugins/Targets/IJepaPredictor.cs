using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Training;
using SdAE.Training.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// I-JEPA's predictor: a narrow ViT that, for each target group on its own, takes the context
/// tokens (the encoder's visible patch tokens, embedded to the predictor's width, with their
/// positions) followed by one mask token per patch of the group (a learnt token plus that patch's
/// position; fixed sin-cos tables), runs its blocks, and maps the mask tokens' outputs back to the
/// encoder's width. All groups of a batch run as one batch: groups smaller than the largest are
/// padded, and padding is never attended to, so each group's prediction is what running it alone gives.
/// </summary>
public sealed class IJepaPredictor : nn.Module
{
    readonly Linear predictor_embed;
    readonly Parameter mask_token;
    readonly Tensor predictor_pos_embed;
    readonly ModuleList<Block> predictor_blocks;
    readonly LayerNorm predictor_norm;
    readonly Linear predictor_proj;

    public IJepaPredictor(int encoderWidth, GridSize grid, int width, int depth, int heads, double mlpRatio) : base("ijepa_predictor")
    {
        predictor_embed = nn.Linear(encoderWidth, width);
        using (var initial = zeros(1, 1, width)) mask_token = nn.Parameter(initial);
        using (var table = SinCosPositionEmbedding.Create(width, grid)) predictor_pos_embed = table.narrow(0, 1, grid.Count).unsqueeze(0);   // no cls slot
        predictor_blocks = new ModuleList<Block>(Enumerable.Range(0, depth).Select(_ => new Block(width, heads, mlpRatio, dropPath: 0)).ToArray());
        predictor_norm = nn.LayerNorm(width, eps: 1e-6);
        predictor_proj = nn.Linear(width, encoderWidth);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (_, child) in named_modules())
            if (child is Linear linear)
            {
                nn.init.trunc_normal_(linear.weight, std: 0.02);
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
            }
        nn.init.trunc_normal_(mask_token, std: 0.02);
    }

    /// <summary>
    /// context [B, Nv, D] (patch tokens, no cls) at <paramref name="contextIds"/> [B, Nv]; the groups'
    /// <paramref name="groupIds"/> [B, G, n] with <paramref name="members"/> [B, G, n] (false on padding)
    /// -> predictions [B, G, n, D] (rows of padding are meaningless).
    /// </summary>
    public Tensor Predict(Tensor context, Tensor contextIds, Tensor groupIds, Tensor members)
    {
        long batch = groupIds.shape[0], groups = groupIds.shape[1], count = groupIds.shape[2], visible = contextIds.shape[1];
        var positions = predictor_pos_embed.expand(batch, -1, -1);
        var contextTokens = MixedPrecision.Linear(predictor_embed, context) + EncoderModule.GatherTokens(positions, contextIds);
        var queries = mask_token + EncoderModule.GatherTokens(positions, groupIds.reshape(batch, groups * count));
        var x = cat([contextTokens.repeat_interleave(groups, 0), queries.reshape(batch * groups, count, -1)], 1);
        var keys = cat([ones(batch * groups, visible, ScalarType.Bool, members.device), members.reshape(batch * groups, count)], 1);
        foreach (var block in predictor_blocks) x = block.Forward(x, keys);
        var predicted = MixedPrecision.Linear(predictor_proj, MixedPrecision.Norm(predictor_norm, x.narrow(1, visible, count)));
        return predicted.reshape(batch, groups, count, -1);
    }
}
