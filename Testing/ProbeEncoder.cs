using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>
/// A small encoder for the checks that need one (targets, heads): linear patch embedding, learnt
/// cls, mask and position tokens, one residual MLP block and a final norm. Depth 1.
/// </summary>
public sealed class ProbeEncoder : EncoderModule
{
    readonly int width, patch, channels, imageSize;
    readonly Linear patch_embed;
    readonly Parameter cls_token, mask_token, pos_embed;
    readonly LayerNorm block_norm, norm;
    readonly Linear fc1, fc2;

    public ProbeEncoder(PluginContext context, int width = 32, int patch = 4) : base(nameof(ProbeEncoder))
    {
        (this.width, this.patch, channels, imageSize) = (width, patch, context.Channels, context.ImageSize);
        patch_embed = nn.Linear(channels * patch * patch, width);
        using (var initial = randn(1, 1, width).mul_(0.02)) cls_token = nn.Parameter(initial);
        using (var initial = randn(1, 1, width).mul_(0.02)) mask_token = nn.Parameter(initial);
        using (var initial = randn(1, 1 + Grid.Count, width).mul_(0.02)) pos_embed = nn.Parameter(initial);
        block_norm = nn.LayerNorm(width);
        fc1 = nn.Linear(width, 2 * width);
        fc2 = nn.Linear(2 * width, width);
        norm = nn.LayerNorm(width);
        RegisterComponents();
    }

    public override int Width => width;
    public override int Depth => 1;
    public override int PatchSize => patch;
    public override int Channels => channels;
    public override int ImageSize => imageSize;
    public override bool HasMaskToken => true;

    public override Tensor EmbedPatches(Tensor images) => patch_embed.forward(PatchPixels(images)) + pos_embed.narrow(1, 1, Grid.Count);

    /// <summary>Images [B, C, H, W] as their patches' pixels [B, (H/p)(W/p), C p p], row-major.</summary>
    Tensor PatchPixels(Tensor images)
    {
        long batch = images.shape[0], rows = images.shape[2] / patch, columns = images.shape[3] / patch;
        return images.view(batch, channels, rows, patch, columns, patch).permute(0, 2, 4, 1, 3, 5).reshape(batch, rows * columns, -1);
    }

    public override bool HasDenseFeatures => true;

    /// <summary>The learnt position embedding interpolated in 2-D for another grid; its one block is block 0.</summary>
    public override IReadOnlyList<Tensor> DenseFeatures(Tensor images, IReadOnlyList<int> blocks)
    {
        if (blocks.Any(b => b != 0)) throw new ArgumentOutOfRangeException(nameof(blocks), "the probe encoder has one block, block 0");
        var grid = new GridSize((int)(images.shape[2] / patch), (int)(images.shape[3] / patch));
        var tokens = patch_embed.forward(PatchPixels(images)) + InterpolatePositions(pos_embed.narrow(1, 1, Grid.Count), Grid, grid);
        var encoded = EncodeTokens(tokens);
        var map = TokensToMap(encoded.narrow(1, 1, grid.Count), grid.Rows, grid.Columns);
        return blocks.Select(_ => map).ToList();
    }

    public override Tensor EncodeTokens(Tensor patchTokens)
    {
        var cls = (cls_token + pos_embed.narrow(1, 0, 1)).expand(patchTokens.shape[0], -1, -1);
        var x = cat([cls, patchTokens], 1);
        x = x + fc2.forward(nn.functional.gelu(fc1.forward(block_norm.forward(x))));
        return norm.forward(x);
    }

    public override Tensor EncodeWithMaskToken(Tensor images, Tensor mask)
    {
        var tokens = EmbedPatches(images);
        var masked = mask_token + pos_embed.narrow(1, 1, Grid.Count);
        return EncodeTokens(where(mask.unsqueeze(-1), masked.expand_as(tokens), tokens));
    }

    public override int LayerIndexOf(string parameterName) =>
        parameterName.StartsWith("norm", StringComparison.Ordinal) ? 2
        : parameterName.StartsWith("fc", StringComparison.Ordinal) || parameterName.StartsWith("block_norm", StringComparison.Ordinal) ? 1 : 0;

    public override EncoderModule CreateSameShape(double? dropPath = null) =>
        new ProbeEncoder(new PluginContext { Channels = channels, ImageSize = imageSize }, width, patch);
}
