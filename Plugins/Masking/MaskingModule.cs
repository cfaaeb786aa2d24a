using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Masking;

public sealed class MaskingModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<IMaskingStrategy, RandomMasking, RandomMaskingOptions>(PluginKind.Masking, "random",
            "MAE's per-sample random masking: a fixed ratio of patches hidden, chosen by argsort of uniform noise.");
        services.AddPlugin<IMaskingStrategy, MultiFoldMasking, MultiFoldMaskingOptions>(PluginKind.Masking, "multi_fold",
            "SdAE: random masking whose masked patches are split into K disjoint equal folds, one teacher view each.");
        services.AddPlugin<IMaskingStrategy, BlockwiseMasking, BlockwiseMaskingOptions>(PluginKind.Masking, "blockwise",
            "BEiT: rectangles of random area and aspect ratio until about the target count is masked; count varies per image.");
        services.AddPlugin<IMaskingStrategy, RandomBlockMasking, RandomBlockMaskingOptions>(PluginKind.Masking, "random_block",
            "SimMIM: a random ratio of block x block-patch squares masked whole.");
        services.AddPlugin<IMaskingStrategy, InverseBlockMasking, InverseBlockMaskingOptions>(PluginKind.Masking, "inverse_block",
            "data2vec 2.0: random square blocks kept visible until int(L(1 - ratio)) patches are; the rest masked.");
        services.AddPlugin<IMaskingStrategy, IJepaBlockMasking, IJepaBlockMaskingOptions>(PluginKind.Masking, "ijepa_blocks",
            "I-JEPA: M random target blocks per image (target groups) and a square context block without them as the visible patches.");
    }
}
