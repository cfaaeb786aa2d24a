using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Backbones;

public sealed class BackbonesModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<EncoderModule, VisionTransformer, ViTOptions>(PluginKind.Backbone, "vit",
            "Vision Transformer encoder: sin-cos positions, pre-norm blocks, drop path; presets micro/tiny/small/base.");
        services.AddPlugin<IDecoderBuilder, ViTDecoderBuilder, ViTDecoderOptions>(PluginKind.Decoder, "vit_decoder",
            "MAE-style transformer decoder; its output width is set by the target.");
        services.AddPlugin<IDecoderBuilder, CrossDecoderBuilder, CrossDecoderOptions>(PluginKind.Decoder, "cross_decoder",
            "CrossMAE: mask queries cross-attend to the visible tokens only; predicts predict_ratio of the masked patches.");
        services.AddPlugin<IDecoderBuilder, ConvDecoderBuilder, ConvDecoderOptions>(PluginKind.Decoder, "conv_decoder",
            "data2vec 2.0: mask tokens in the masked slots, residual grouped-convolution blocks over the patch grid.");
    }
}
