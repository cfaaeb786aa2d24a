using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Plugins;

namespace SdAE.Testing;

/// <summary>
/// A plugin assembly's registration: its module registers at least one plugin, names are usable as
/// YAML `type:` values and unique per kind, every option has a description, and every plugin can be
/// created from its default options, as an experiment section with only `type:` creates it.
/// </summary>
public abstract class PluginModuleConformance<TModule> : PluginConformance where TModule : IPluginModule, new()
{
    IReadOnlyList<IPluginFactory> Factories(out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        new TModule().Register(services);
        provider = services.BuildServiceProvider();
        return provider.GetServices<IPluginFactory>().ToList();
    }

    [Test]
    public void RegistersUsableNamesAndDescribedOptions()
    {
        var factories = Factories(out var provider);
        using var _ = provider;
        Assert.That(factories, Is.Not.Empty, "the module registers a plugin");
        foreach (var factory in factories)
        {
            Assert.That(factory.Name, Does.Match("^[a-z][a-z0-9_]*$"), "a type name is snake_case");
            Assert.That(factory.Description, Is.Not.Empty, factory.Name);
            var undescribed = factory.OptionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetCustomAttribute<System.ComponentModel.DescriptionAttribute>() is null).Select(p => p.Name);
            Assert.That(undescribed, Is.Empty, $"{factory.Name}: options without a [Description]");
        }
        Assert.That(factories.GroupBy(f => (f.Kind, f.Name)).Where(g => g.Count() > 1).Select(g => g.Key.Name), Is.Empty, "names are unique per kind");
        foreach (var factory in factories)
            Assert.That(SdAE.Abstractions.Options.OptionKeys.Collisions(factory.Kind, factory.OptionsType), Is.Empty,
                $"{factory.Name}: options that take a key the host binds in the '{factory.Kind.SectionName()}' section ({string.Join(", ", SdAE.Abstractions.Options.OptionKeys.HostKeys(factory.Kind))})");
    }

    [Test]
    public void EveryPluginIsCreatedFromItsDefaultOptions()
    {
        var factories = Factories(out var provider);
        using var _ = provider;
        foreach (var factory in factories)
        {
            var created = factory.Create(Activator.CreateInstance(factory.OptionsType)!, Context, provider);
            Assert.That(created, Is.InstanceOf(factory.ImplementationType), factory.Name);
            (created as IDisposable)?.Dispose();
        }
    }
}
