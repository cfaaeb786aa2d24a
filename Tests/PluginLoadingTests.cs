using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Plugins;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class PluginLoadingTests
{
    [Test]
    public void InTreePluginsAreLoadedFromThePluginsFolderNotReferenced()
    {
        using var catalog = PluginCatalog.LoadDefault();
        Assert.That(catalog.Assemblies, Has.All.StartsWith(PluginCatalog.DefaultFolder));
        Assert.That(catalog.Find(PluginKind.Backbone, "vit"), Is.Not.Null);
        Assert.That(catalog.Find(PluginKind.Decoder, "vit_decoder"), Is.Not.Null);
        Assert.That(catalog.Find(PluginKind.Masking, "random"), Is.Not.Null);
        Assert.That(catalog.Find(PluginKind.Target, "pixel"), Is.Not.Null);
        Assert.That(catalog.Find(PluginKind.Head, "knn"), Is.Not.Null);
        // The host assembly must not reference the plugin assemblies.
        var hostReferences = typeof(PluginCatalog).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.That(hostReferences, Has.None.StartsWith("SdAE.Plugins"));
    }

    [Test]
    public void ExternalPluginLoadsFromAPathAndReturnsAHostTensor()
    {
        Assert.That(File.Exists(FixturePlugin.Path), $"fixture plugin not built at {FixturePlugin.Path}");
        using var catalog = PluginCatalog.LoadDefault([FixturePlugin.Path]);
        var masking = catalog.Create<IMaskingStrategy>("checkerboard", Activator.CreateInstance(catalog.Find(PluginKind.Masking, "checkerboard")!.OptionsType)!, new PluginContext());
        using var generator = new Generator(1);
        var plan = masking.Sample(2, new GridSize(2, 2), generator);
        // The plugin's Tensor is the host's Tensor type: usable with host-side TorchSharp ops.
        Assert.That(plan.Mask, Is.InstanceOf<Tensor>());
        Assert.That(plan.Mask.shape, Is.EqualTo(new long[] { 2, 4 }));
        Assert.That(plan.Mask.to_type(ScalarType.Int64).sum().item<long>(), Is.EqualTo(4L));
    }

    [Test]
    public void AMissingPluginAssemblyIsAClearError()
    {
        var e = Assert.Throws<PluginLoadException>(() => PluginCatalog.Load(["/nonexistent/MyPlugin.dll"]));
        Assert.That(e!.Message, Does.Contain("/nonexistent/MyPlugin.dll"));
        Assert.That(e.Fix, Does.Contain("build the plugin"));
        var sample = Assert.Throws<PluginLoadException>(() => PluginCatalog.Load(["/nowhere/samples/AttMask/AttMask/bin/Release/net10.0/AttMask.dll"]))!;
        Assert.That(sample.Fix, Does.Contain("scripts/build-samples.sh"), "an unbuilt sample says how to build it");
    }
}

public class ContractVersionTests
{
    static System.Reflection.AssemblyName Abstractions(string version) => new("SdAE.Abstractions") { Version = new Version(version) };

    [Test]
    public void APluginBuiltAgainstTheSameMajorVersionIsAccepted()
    {
        var host = SdAE.Host.Plugins.PluginCatalog.ContractVersion;
        Assert.DoesNotThrow(() => SdAE.Host.Plugins.PluginCatalog.CheckContractVersion([Abstractions($"{host.Major}.{host.Minor + 3}.0.0")], "p.dll"));
        Assert.DoesNotThrow(() => SdAE.Host.Plugins.PluginCatalog.CheckContractVersion([new System.Reflection.AssemblyName("Other") { Version = new Version(9, 0) }], "p.dll"));
    }

    [Test]
    public void APluginBuiltAgainstAnotherMajorVersionIsRefusedNamingBoth()
    {
        var host = SdAE.Host.Plugins.PluginCatalog.ContractVersion;
        var e = Assert.Throws<SdAE.Host.Plugins.PluginLoadException>(() =>
            SdAE.Host.Plugins.PluginCatalog.CheckContractVersion([Abstractions($"{host.Major + 1}.2.0.0")], "p.dll"))!;
        Assert.That(e.Message, Does.Contain($"SdAE.Abstractions {host.Major + 1}.2.0").And.Contain($"plugin contract {host.ToString(3)}"));
        Assert.That(e.Fix, Does.Contain($"{host.Major}.x"));
    }
}

/// <summary>A plugin option may not take a key the host binds in the plugin's section (it would be bound by neither).</summary>
public class HostKeyTests
{
    public sealed class EveryOptions
    {
        [System.ComponentModel.Description("Clashes with the host's 'every'.")]
        public int Every { get; set; }
    }

    public sealed class EveryHead(EveryOptions options) : SdAE.Abstractions.Heads.IDownstreamHead
    {
        public SdAE.Abstractions.Heads.HeadResult Evaluate(SdAE.Abstractions.Heads.HeadContext context) =>
            new(new Dictionary<string, double> { ["top1"] = options.Every });
    }

    [Test]
    public void APluginOptionNamedLikeAHostKeyOfItsSectionIsRefusedNamingPluginKeyAndSection()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddPlugin<SdAE.Abstractions.Heads.IDownstreamHead, EveryHead, EveryOptions>(PluginKind.Head, "every_head", "Test: clashes.");
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var factories = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<IPluginFactory>(provider).ToList();
        var e = Assert.Throws<PluginLoadException>(() => PluginCatalog.CheckNoHostKeys(factories))!;
        Assert.That(e.Message, Does.Contain("'every_head'").And.Contain("'every'").And.Contain("'eval'"));
        Assert.That(SdAE.Abstractions.Options.OptionKeys.Collisions(PluginKind.Masking, typeof(EveryOptions)), Is.Empty, "only the head section has 'every'");
    }

    [Test]
    public void TheInTreePluginsTakeNoHostKey()
    {
        using var catalog = PluginCatalog.LoadDefault();
        Assert.That(catalog.All, Is.Not.Empty);
        Assert.DoesNotThrow(() => PluginCatalog.CheckNoHostKeys(catalog.All));
    }

    [TestCase(PluginKind.Head)]
    [TestCase(PluginKind.Dataset)]
    [TestCase(PluginKind.Backbone)]
    [TestCase(PluginKind.Masking)]
    public void TheContractsListOfHostKeysIsWhatTheHostBinds(PluginKind kind)
    {
        var section = SdAE.Host.Config.PluginSpec.SectionType(kind);
        var bound = new[] { "type" }.Concat(section is null ? [] : SdAE.Host.Config.OptionProperties.Of(section).Keys);
        Assert.That(SdAE.Abstractions.Options.OptionKeys.HostKeys(kind), Is.EquivalentTo(bound));
    }
}
