using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MyPlugin;

/// <summary>What an experiment's section binds: `backbone: { type: my_plugin, width: 64, patch: 4 }`.</summary>
public sealed class MyPluginOptions
{
    [Range(8, 4096), Description("Token width.")]
    public int Width { get; set; } = 64;

    [Range(1, 64), Description("Patch side in pixels; must divide the image size.")]
    public int Patch { get; set; } = 4;

    [Range(1, 64), Description("Residual MLP blocks.")]
    public int Depth { get; set; } = 2;
}

/// <summary>
/// A backbone: linear patch embedding, learnt cls, mask and position tokens, residual MLP blocks
/// (no attention: replace them with your own mixing) and a final norm. The module's parameters are
/// named so that <see cref="LayerIndexOf"/> can tell layer-wise lr decay where each one sits.
/// </summary>
public sealed class MyPluginEncoder : EncoderModule
{
    readonly MyPluginOptions options;
    readonly PluginContext context;
    readonly Linear patch_embed;
    readonly Parameter cls_token, mask_token, pos_embed;
    readonly ModuleList<Sequential> blocks;
    readonly LayerNorm norm;

    public MyPluginEncoder(MyPluginOptions options, PluginContext context) : base(nameof(MyPluginEncoder))
    {
        if (context.ImageSize % options.Patch != 0)   // reported at the experiment's backbone section
            throw new ArgumentException($"backbone.patch {options.Patch} does not divide the image size {context.ImageSize}.");
        (this.options, this.context) = (options, context);
        int width = options.Width;
        patch_embed = nn.Linear(context.Channels * options.Patch * options.Patch, width);
        using (var initial = randn(1, 1, width).mul_(0.02)) cls_token = nn.Parameter(initial);
        using (var initial = randn(1, 1, width).mul_(0.02)) mask_token = nn.Parameter(initial);
        using (var initial = randn(1, 1 + Grid.Count, width).mul_(0.02)) pos_embed = nn.Parameter(initial);
        blocks = new ModuleList<Sequential>([.. Enumerable.Range(0, options.Depth).Select(_ =>
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)))]);
        norm = nn.LayerNorm(width);
        RegisterComponents();
    }

    public override int Width => options.Width;
    public override int Depth => options.Depth;
    public override int PatchSize => options.Patch;
    public override int Channels => context.Channels;
    public override int ImageSize => context.ImageSize;
    public override bool HasMaskToken => true;

    public override Tensor EmbedPatches(Tensor images)
    {
        long batch = images.shape[0], side = ImageSize / PatchSize;
        var patches = images.view(batch, Channels, side, PatchSize, side, PatchSize).permute(0, 2, 4, 1, 3, 5).reshape(batch, side * side, -1);
        return patch_embed.forward(patches) + pos_embed.narrow(1, 1, Grid.Count);
    }

    public override Tensor EncodeTokens(Tensor patchTokens)
    {
        var cls = (cls_token + pos_embed.narrow(1, 0, 1)).expand(patchTokens.shape[0], -1, -1);
        var x = cat([cls, patchTokens], 1);
        foreach (var block in blocks) x = x + block.forward(x);
        return norm.forward(x);
    }

    public override Tensor EncodeWithMaskToken(Tensor images, Tensor mask)
    {
        var tokens = EmbedPatches(images);
        var masked = (mask_token + pos_embed.narrow(1, 1, Grid.Count)).expand_as(tokens);
        return EncodeTokens(where(mask.unsqueeze(-1), masked, tokens));
    }

    /// <summary>0 for the embeddings, j+1 for block j, Depth+1 for the final norm.</summary>
    public override int LayerIndexOf(string parameterName) =>
        parameterName.StartsWith("blocks.", StringComparison.Ordinal) ? int.Parse(parameterName.Split('.')[1]) + 1
        : parameterName.StartsWith("norm", StringComparison.Ordinal) ? Depth + 1 : 0;

    public override EncoderModule CreateSameShape(double? dropPath = null) => new MyPluginEncoder(options, context);
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class MyPluginModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<EncoderModule, MyPluginEncoder, MyPluginOptions>(PluginKind.Backbone, "my_plugin",
            "Patch embedding and residual MLP blocks (an attention-free example backbone).");
}
