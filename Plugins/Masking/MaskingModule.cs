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
    }
}
