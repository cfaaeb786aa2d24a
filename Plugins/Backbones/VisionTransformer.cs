using SdAE.Training;
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
        var cls = (cls_token + pos_embed.narrow(1, 0, 1)).expand(patchTokens.shape[0], -1, -1);
        var x = cat([cls, patchTokens], 1);
        foreach (var block in blocks) x = block.forward(x);
        return MixedPrecision.Norm(norm, x);
    }

    public override Tensor EncodeWithMaskToken(Tensor images, Tensor mask)
    {
        if (mask_token is null)
            throw new InvalidOperationException("this backbone has no mask token; set backbone.mask_token: true.");
        var tokens = PatchTokens(images);
        var weight = mask.unsqueeze(-1).to_type(tokens.dtype);
        tokens = tokens * (1 - weight) + mask_token * weight;   // promotes to fp32 under autocast
        return EncodeTokens(tokens + pos_embed.narrow(1, 1, Grid.Count));
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
