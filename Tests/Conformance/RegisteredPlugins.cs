using SdAE.Abstractions.Plugins;
using SdAE.Host.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Tests.Support;

namespace SdAE.Tests.Conformance;

/// <summary>
/// The catalog the conformance tests run over: the in-tree plugins and the external fixture plugin,
/// loaded as the host loads them. Each kind's fixture makes one test case per registered plugin
/// (timm-style), so a new plugin is exercised by registering it, and one failure hides no other.
/// </summary>
public static class RegisteredPlugins
{
    static readonly Lazy<PluginCatalog> catalog = new(() => PluginCatalog.LoadDefault([FixturePlugin.Path]));

    public static PluginCatalog Catalog => catalog.Value;

    /// <summary>One fixture per registered plugin of a kind, named after it.</summary>
    public static IEnumerable<TestFixtureData> OfKind(PluginKind kind) =>
        Catalog.OfKind(kind).Select(f => new TestFixtureData(f.Name).SetArgDisplayNames(f.Name));

    public static IEnumerable<TestFixtureData> Backbones => OfKind(PluginKind.Backbone);
    public static IEnumerable<TestFixtureData> Decoders => OfKind(PluginKind.Decoder);
    public static IEnumerable<TestFixtureData> Maskings => OfKind(PluginKind.Masking);
    public static IEnumerable<TestFixtureData> Targets => OfKind(PluginKind.Target);
    public static IEnumerable<TestFixtureData> Heads => OfKind(PluginKind.Head);

    public static PluginContext Context => new() { ImageSize = 28, Channels = 1, ClassCount = 10 };

    /// <summary>The plugin built from its default options, as an experiment section with only `type:` would build it.</summary>
    public static T Create<T>(PluginKind kind, string name) where T : class
    {
        var factory = Catalog.Find(kind, name)!;
        return Catalog.Create<T>(name, Activator.CreateInstance(factory.OptionsType)!, Context);
    }

    /// <summary>
    /// The plugin from its default options, except that heads which generate scenes (their cost
    /// grows with the canvases, not with the tiny test set) get a test-sized budget.
    /// </summary>
    public static T CreateSmall<T>(PluginKind kind, string name) where T : class
    {
        var factory = Catalog.Find(kind, name)!;
        var options = Activator.CreateInstance(factory.OptionsType)!;
        // by name: the catalog loads plugins in their own load context, so the test's view of their types is another type
        void Set(string property, int value) => factory.OptionsType.GetProperty(property)?.SetValue(options, value);
        if (factory.OptionsType.GetProperty("TrainCanvases") is not null)
        {
            Set("TrainCanvases", 24);
            Set("TestCanvases", 8);
            Set("Epochs", 2);
        }
        return Catalog.Create<T>(name, options, Context);
    }

    /// <summary>A width-32, depth-2 ViT on 28px/4 (a 7x7 grid) with a mask token, for plugins that need an encoder.</summary>
    public static VisionTransformer TinyEncoder() =>
        new(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4, MaskToken = true }, Context);

}
