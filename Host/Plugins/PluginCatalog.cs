using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using TorchSharp;

namespace SdAE.Host.Plugins;

/// <summary>
/// The plugins available to a run: assemblies loaded with McMaster.NETCore.Plugins (sharing
/// Abstractions, Training, TorchSharp and DI types with the host), each registering keyed factories into
/// one service collection.
/// </summary>
public sealed class PluginCatalog : IDisposable
{
    /// <summary>Types whose assemblies a plugin must share with the host, so a plugin's Tensor is the host's Tensor.</summary>
    static readonly Type[] SharedTypes = [typeof(IPluginModule), typeof(SdAE.Training.MixedPrecision), typeof(torch), typeof(IServiceCollection)];

    readonly List<PluginLoader> loaders;
    readonly ServiceProvider provider;

    PluginCatalog(List<PluginLoader> loaders, ServiceProvider provider, IReadOnlyList<string> assemblies)
    {
        this.loaders = loaders;
        this.provider = provider;
        Assemblies = assemblies;
        All = provider.GetServices<IPluginFactory>().ToList();
    }

    public IServiceProvider Services => provider;
    public IReadOnlyList<IPluginFactory> All { get; }
    public IReadOnlyList<string> Assemblies { get; }

    /// <summary>The host's own plugin folder: plugins/&lt;Name&gt;/&lt;Name&gt;.dll beside the program.</summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    public IEnumerable<IPluginFactory> OfKind(PluginKind kind) => All.Where(f => f.Kind == kind);

    /// <summary>Targets whose encoder sees <paramref name="input"/> (declared by <see cref="UsesEncoderInputAttribute"/>).</summary>
    public IEnumerable<IPluginFactory> TargetsWith(EncoderInput input) =>
        OfKind(PluginKind.Target).Where(f => UsesEncoderInputAttribute.Of(f.ImplementationType) == input);

    /// <summary>Targets that own a teacher encoder evaluations can use.</summary>
    public IEnumerable<IPluginFactory> TargetsWithTeacher() =>
        OfKind(PluginKind.Target).Where(f => typeof(ITeacherProvider).IsAssignableFrom(f.ImplementationType));

    public IPluginFactory? Find(PluginKind kind, string name) =>
        All.FirstOrDefault(f => f.Kind == kind && f.Name == name);

    /// <summary>Creates plugin <paramref name="name"/> through its keyed factory.</summary>
    public TContract Create<TContract>(string name, object options, PluginContext context) where TContract : class =>
        provider.GetRequiredKeyedService<IPluginFactory<TContract>>(name).Create(options, context, provider);

    /// <summary>Plugin assemblies in a folder laid out as plugins/&lt;Name&gt;/&lt;Name&gt;.dll.</summary>
    public static IEnumerable<string> Discover(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        return Directory.GetDirectories(folder)
            .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".dll"))
            .Where(File.Exists)
            .OrderBy(path => path, StringComparer.Ordinal);
    }

    /// <summary>Loads the host's plugin folder plus <paramref name="extraAssemblies"/>.</summary>
    public static PluginCatalog LoadDefault(IEnumerable<string>? extraAssemblies = null) =>
        Load(Discover(DefaultFolder).Concat(extraAssemblies ?? []));

    public static PluginCatalog Load(IEnumerable<string> assemblyPaths)
    {
        var services = new ServiceCollection();
        var loaders = new List<PluginLoader>();
        var loaded = new List<string>();
        foreach (var path in assemblyPaths.Select(Path.GetFullPath).Distinct())
        {
            if (!File.Exists(path))
                throw new PluginLoadException($"plugin assembly not found: {path}",
                    path.Replace('\\', '/').Contains("/samples/") ? "build this repository's samples: scripts/build-samples.sh." : "build the plugin, or fix the path under 'plugins:'.");
            var loader = PluginLoader.CreateFromAssemblyFile(path, SharedTypes, config => config.PreferSharedTypes = true);
            loaders.Add(loader);
            Assembly assembly;
            try
            {
                assembly = loader.LoadDefaultAssembly();
            }
            catch (BadImageFormatException)
            {
                throw new PluginLoadException($"{path} is not a .NET assembly.", "list the plugin's built .dll (bin/Release/net10.0/<Name>.dll), not a native library or another file.");
            }
            CheckContractVersion(assembly.GetReferencedAssemblies(), path);
            RegisterModules(assembly, path, services);
            loaded.Add(path);
        }
        var provider = services.BuildServiceProvider();
        var factories = provider.GetServices<IPluginFactory>().ToList();
        CheckUniqueNames(factories);
        CheckNoHostKeys(factories);
        return new PluginCatalog(loaders, provider, loaded);
    }

    /// <summary>The plugin contract this host implements: the version of its SdAE.Abstractions.</summary>
    public static Version ContractVersion => typeof(IPluginModule).Assembly.GetName().Version!;

    /// <summary>A plugin built against another major version of the contract is refused, naming both versions.</summary>
    public static void CheckContractVersion(IEnumerable<AssemblyName> references, string path)
    {
        var contract = references.FirstOrDefault(r => r.Name == typeof(IPluginModule).Assembly.GetName().Name);
        if (contract?.Version is not { } built || built.Major == ContractVersion.Major) return;
        throw new PluginLoadException(
            $"{path} was built against SdAE.Abstractions {built.ToString(3)}, but this sdae implements the plugin contract {ContractVersion.ToString(3)}; major versions must match.",
            $"rebuild the plugin against SdAE.Abstractions {ContractVersion.Major}.x (or use an sdae that implements {built.Major}.x).");
    }

    static void RegisterModules(Assembly assembly, string path, IServiceCollection services)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            throw new PluginLoadException($"plugin {path} could not be loaded: {e.LoaderExceptions.FirstOrDefault()?.Message}",
                "build it against this version of SdAE.Abstractions and TorchSharp, and do not ship TorchSharp.dll beside it.");
        }
        var modules = types.Where(t => typeof(IPluginModule).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }).ToList();
        if (modules.Count == 0)
            throw new PluginLoadException($"{path} has no public IPluginModule class.", "add a class implementing SdAE.Abstractions.Plugins.IPluginModule.");
        foreach (var module in modules) RegisterModule(module, path, services);
    }

    /// <summary>Runs one module's Register; a module that throws is the plugin's error, named with its assembly, not a crash of the host.</summary>
    public static void RegisterModule(Type module, string path, IServiceCollection services)
    {
        try
        {
            ((IPluginModule)Activator.CreateInstance(module)!).Register(services);
        }
        catch (Exception e) when (e is not PluginLoadException)
        {
            var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            throw new PluginLoadException($"plugin {path}: {module.FullName} failed while registering its plugins: {cause.GetType().Name}: {cause.Message}",
                "fix the module's Register method (or remove the assembly from 'plugins:').");
        }
    }

    /// <summary>A plugin option named like one of the host's keys of its section would be bound by neither side: refused at load.</summary>
    public static void CheckNoHostKeys(IEnumerable<IPluginFactory> factories)
    {
        foreach (var factory in factories)
        {
            var taken = SdAE.Abstractions.Options.OptionKeys.Collisions(factory.Kind, factory.OptionsType);
            if (taken.Count > 0)
                throw new PluginLoadException(
                    $"{factory.Kind.ToString().ToLowerInvariant()} plugin '{factory.Name}' ({factory.ImplementationType.FullName}) has option '{taken[0]}', which the host binds itself in the '{factory.Kind.SectionName()}' section.",
                    $"rename the option (the host's keys there: {string.Join(", ", SdAE.Abstractions.Options.OptionKeys.HostKeys(factory.Kind))}).");
        }
    }

    static void CheckUniqueNames(IEnumerable<IPluginFactory> factories)
    {
        var duplicate = factories.GroupBy(f => (f.Kind, f.Name)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new PluginLoadException(
                $"two {duplicate.Key.Kind} plugins are named '{duplicate.Key.Name}' ({string.Join(", ", duplicate.Select(f => f.ImplementationType.FullName))}).",
                "rename one of them.");
    }

    public void Dispose()
    {
        provider.Dispose();
        foreach (var loader in loaders) loader.Dispose();
    }
}

/// <summary>Plugin names for messages, taken from the catalog so hints never name a plugin that is not there.</summary>
public static class PluginHints
{
    public static string Names(IEnumerable<IPluginFactory> factories) =>
        factories.Select(f => f.Name).DefaultIfEmpty("none loaded").Aggregate((a, b) => $"{a}, {b}");
}

public sealed class PluginLoadException(string message, string fix) : Exception(message)
{
    public string Fix { get; } = fix;
}
