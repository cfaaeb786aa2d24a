using SdAE.Training.Layers;
using SdAE.Training;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Backbones;

/// <summary>
/// The ViT encoder (plugin `vit`): conv patch embedding, fixed 2-D sin-cos position embedding with
/// a cls slot, pre-norm blocks with drop path rising over depth, final LayerNorm.
/// </summary>
public sealed class VisionTransformer : EncoderModule
{
    readonly ViTOptions options;
    readonly PluginContext context;
    readonly int width;
    readonly int depth;

    readonly Conv2d patch_embed;
    readonly Parameter cls_token;
    readonly Parameter? mask_token;
    readonly Tensor pos_embed;
    readonly ModuleList<Block> blocks;
    readonly LayerNorm norm;

    public VisionTransformer(ViTOptions options, PluginContext context) : base("vit")
    {
        this.options = options;
        this.context = context;
        if (context.ImageSize % options.Patch != 0)
            throw new ArgumentException($"backbone.patch {options.Patch} does not divide the image size {context.ImageSize}; choose a patch that divides it.");
        (width, depth, var heads) = options.Resolve();

        // TorchSharp's Conv2d leaves a temporary of its initialisation behind: a scope disposes it, the parameters are kept
        using (NewDisposeScope())
        {
            patch_embed = nn.Conv2d(context.Channels, width, options.Patch, stride: options.Patch);
            foreach (var parameter in patch_embed.parameters()) parameter.DetachFromDisposeScope();
        }
        // nn.Parameter takes the handle of the tensor it is given; disposing the emptied wrapper keeps the live-tensor count exact
        using (var initial = zeros(1, 1, width)) cls_token = nn.Parameter(initial);
        if (options.MaskToken)
            using (var initial = zeros(1, 1, width)) mask_token = nn.Parameter(initial);
        using (var table = SinCosPositionEmbedding.Create(width, Grid)) pos_embed = table.unsqueeze(0);
        blocks = new ModuleList<Block>(Enumerable.Range(0, depth)
            .Select(i => new Block(width, heads, options.MlpRatio, DropPathAt(i), options.LayerScale)).ToArray());
        norm = nn.LayerNorm(width, eps: 1e-6);
        RegisterComponents();

        Init.Apply(this);
        Init.XavierAsLinear(patch_embed.weight!);
        using (no_grad())
        {
            nn.init.normal_(cls_token, std: 0.02);
            if (mask_token is not null) nn.init.normal_(mask_token, std: 0.02);
        }
    }

    double DropPathAt(int block) => depth <= 1 ? options.DropPath : options.DropPath * block / (depth - 1);

    public override int Width => width;
    public override int Depth => depth;
    public override int PatchSize => options.Patch;
    public override int Channels => context.Channels;
    public override int ImageSize => context.ImageSize;
    public override bool HasMaskToken => mask_token is not null;

    public override Tensor EmbedPatches(Tensor images) =>
        PatchTokens(images) + pos_embed.narrow(1, 1, Grid.Count);

    public override Tensor EncodeTokens(Tensor patchTokens)
    {
        var x = WithCls(patchTokens);
        foreach (var block in blocks) x = block.forward(x);
        return MixedPrecision.Norm(norm, x);
    }

    /// <summary>The cls token (with its position) before the patch tokens.</summary>
    Tensor WithCls(Tensor patchTokens) => cat([(cls_token + pos_embed.narrow(1, 0, 1)).expand(patchTokens.shape[0], -1, -1), patchTokens], 1);

    public override Tensor EncodeWithMaskToken(Tensor images, Tensor mask)
    {
        if (mask_token is null)
            throw new InvalidOperationException("this backbone has no mask token; set backbone.mask_token: true.");
        var tokens = PatchTokens(images);
        var weight = mask.unsqueeze(-1).to_type(tokens.dtype);
        tokens = tokens * (1 - weight) + mask_token * weight;   // promotes to fp32 under autocast
        return EncodeTokens(tokens + pos_embed.narrow(1, 1, Grid.Count));
    }

    public override bool HasClsAttention => true;

    public override Tensor ClsAttention(Tensor images)
    {
        var x = WithCls(EmbedPatches(images));
        for (int i = 0; i < depth - 1; i++) x = blocks[i].forward(x);
        return blocks[depth - 1].ClsAttention(x).narrow(1, 1, Grid.Count);
    }

    public override bool HasDenseFeatures => true;

    /// <summary>The sin-cos table is a function of the grid, so another resolution gets its own table (made once per grid).</summary>
    public override IReadOnlyList<Tensor> DenseFeatures(Tensor images, IReadOnlyList<int> blocks)
    {
        if (images.shape[2] % options.Patch != 0 || images.shape[3] % options.Patch != 0)
            throw new ArgumentException($"images of {images.shape[2]}x{images.shape[3]} do not divide into {options.Patch}-pixel patches");
        var grid = new GridSize((int)(images.shape[2] / options.Patch), (int)(images.shape[3] / options.Patch));
        var positions = grid == Grid ? pos_embed : PositionsFor(grid);
        var tokens = PatchTokens(images) + positions.narrow(1, 1, grid.Count);
        var x = cat([(cls_token + positions.narrow(1, 0, 1)).expand(tokens.shape[0], -1, -1), tokens], 1);
        var maps = new Tensor[blocks.Count];
        for (int i = 0; i < depth; i++)
        {
            x = this.blocks[i].forward(x);
            for (int k = 0; k < blocks.Count; k++)
                if (blocks[k] == i)
                    maps[k] = TokensToMap((i == depth - 1 ? MixedPrecision.Norm(norm, x) : x).narrow(1, 1, grid.Count), grid.Rows, grid.Columns);
        }
        if (maps.Any(m => m is null)) throw new ArgumentOutOfRangeException(nameof(blocks), $"blocks are numbered 0 to {depth - 1}");
        return maps;
    }

    Tensor PositionsFor(GridSize grid)
    {
        if (otherGrid?.Grid != grid || otherGrid.Value.Table.device != pos_embed.device)
        {
            otherGrid?.Table.Dispose();
            using var table = SinCosPositionEmbedding.Create(width, grid);
            otherGrid = (grid, table.unsqueeze(0).to(pos_embed.device).DetachFromDisposeScope());
        }
        return otherGrid.Value.Table;
    }

    (GridSize Grid, Tensor Table)? otherGrid;

    protected override void Dispose(bool disposing)
    {
        if (disposing) otherGrid?.Table.Dispose();
        base.Dispose(disposing);
    }

    public override int LayerIndexOf(string parameterName)
    {
        if (parameterName.StartsWith("blocks.", StringComparison.Ordinal))
            return int.Parse(parameterName.Split('.')[1]) + 1;
        return parameterName.StartsWith("norm.", StringComparison.Ordinal) ? depth + 1 : 0;
    }

    public override EncoderModule CreateSameShape(double? dropPath = null) =>
        new VisionTransformer(dropPath is { } rate ? options.WithDropPath(rate) : options, context);

    Tensor PatchTokens(Tensor images) => MixedPrecision.Conv(patch_embed, images, options.Patch).flatten(2).transpose(1, 2);
}
