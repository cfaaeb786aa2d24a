using Microsoft.Extensions.DependencyInjection;

namespace SdAE.Abstractions.Plugins;

/// <summary>What the host knows about a registered plugin before creating it.</summary>
public interface IPluginFactory
{
    PluginKind Kind { get; }
    /// <summary>The name used as `type:` in experiment files, and the DI key.</summary>
    string Name { get; }
    string Description { get; }
    Type OptionsType { get; }
    Type ImplementationType { get; }
    object Create(object options, PluginContext context, IServiceProvider services);
}

/// <summary>Creates a plugin of contract <typeparamref name="TContract"/> from its bound options.</summary>
public interface IPluginFactory<out TContract> : IPluginFactory where TContract : class
{
    new TContract Create(object options, PluginContext context, IServiceProvider services);
}

/// <summary>
/// Builds <typeparamref name="TImplementation"/> through DI: its constructor may take its options,
/// the <see cref="PluginContext"/> and any registered service.
/// </summary>
public sealed class PluginFactory<TContract, TImplementation, TOptions>(PluginKind kind, string name, string description)
    : IPluginFactory<TContract>
    where TContract : class
    where TImplementation : class, TContract
    where TOptions : class, new()
{
    public PluginKind Kind => kind;
    public string Name => name;
    public string Description => description;
    public Type OptionsType => typeof(TOptions);
    public Type ImplementationType => typeof(TImplementation);

    public TContract Create(object options, PluginContext context, IServiceProvider services)
    {
        if (options is not TOptions typed)
            throw new ArgumentException($"Plugin '{name}' expects options of type {typeof(TOptions).Name}, got {options.GetType().Name}.");
        // ActivatorUtilities insists that every given argument is used, so pass only what the constructor takes.
        var arguments = new List<object>();
        if (ConstructorTakes(typeof(TOptions))) arguments.Add(typed);
        if (ConstructorTakes(typeof(PluginContext))) arguments.Add(context);
        return ActivatorUtilities.CreateInstance<TImplementation>(services, arguments.ToArray());
    }

    static bool ConstructorTakes(Type type) =>
        typeof(TImplementation).GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == type));

    object IPluginFactory.Create(object options, PluginContext context, IServiceProvider services) =>
        Create(options, context, services);
}

public static class PluginRegistration
{
    /// <summary>Registers a plugin under <paramref name="name"/> (its YAML `type:`) as a keyed factory.</summary>
    public static IServiceCollection AddPlugin<TContract, TImplementation, TOptions>(
        this IServiceCollection services, PluginKind kind, string name, string description)
        where TContract : class
        where TImplementation : class, TContract
        where TOptions : class, new()
    {
        var factory = new PluginFactory<TContract, TImplementation, TOptions>(kind, name, description);
        services.AddKeyedSingleton<IPluginFactory<TContract>>(name, factory);
        services.AddSingleton<IPluginFactory>(factory);
        return services;
    }
}
