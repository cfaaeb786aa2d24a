using Microsoft.Extensions.DependencyInjection;

namespace SdAE.Abstractions.Plugins;

/// <summary>
/// One per plugin assembly: the host finds it by reflection and lets it register its plugins,
/// each as a keyed <see cref="IPluginFactory"/> (see <see cref="PluginRegistration.AddPlugin{TContract, TImplementation, TOptions}"/>).
/// </summary>
public interface IPluginModule
{
    void Register(IServiceCollection services);
}
