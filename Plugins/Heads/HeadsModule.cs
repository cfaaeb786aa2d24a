using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Heads;

public sealed class HeadsModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<IDownstreamHead, KnnHead, KnnOptions>(PluginKind.Head, "knn",
            "k-NN on frozen, L2-normalised features: k=20, similarity-weighted vote with temperature 0.07.");
    }
}
