using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Testing;

namespace SdAE.Tests.Conformance;

// Every registered plugin (in-tree and the external fixture) through the conformance kit a plugin
// author uses (SdAE.Testing): one fixture per plugin, so a new plugin is checked by registering it.
// Targets and heads run against the real ViT rather than the kit's probe encoder.

[TestFixtureSource(typeof(RegisteredPlugins), nameof(RegisteredPlugins.Maskings))]
public class RegisteredMasking(string name) : MaskingConformance
{
    protected override IMaskingStrategy CreateMasking() => RegisteredPlugins.Create<IMaskingStrategy>(PluginKind.Masking, name);
}

[TestFixtureSource(typeof(RegisteredPlugins), nameof(RegisteredPlugins.Targets))]
public class RegisteredTarget(string name) : TargetConformance
{
    protected override IReconstructionTarget CreateTarget() => RegisteredPlugins.Create<IReconstructionTarget>(PluginKind.Target, name);
    protected override EncoderModule CreateStudent() => RegisteredPlugins.TinyEncoder();
}

[TestFixtureSource(typeof(RegisteredPlugins), nameof(RegisteredPlugins.Backbones))]
public class RegisteredBackbone(string name) : BackboneConformance
{
    protected override EncoderModule CreateBackbone() => RegisteredPlugins.Create<EncoderModule>(PluginKind.Backbone, name);
}

[TestFixtureSource(typeof(RegisteredPlugins), nameof(RegisteredPlugins.Decoders))]
public class RegisteredDecoder(string name) : DecoderConformance
{
    protected override IDecoderBuilder CreateDecoderBuilder() => RegisteredPlugins.Create<IDecoderBuilder>(PluginKind.Decoder, name);
}

[TestFixtureSource(typeof(RegisteredPlugins), nameof(RegisteredPlugins.Heads))]
public class RegisteredHead(string name) : HeadConformance
{
    protected override IDownstreamHead CreateHead() => RegisteredPlugins.CreateSmall<IDownstreamHead>(PluginKind.Head, name);
    protected override EncoderModule CreateEncoder() => RegisteredPlugins.TinyEncoder();
}

public class BackbonesModuleRegistration : PluginModuleConformance<SdAE.Plugins.Backbones.BackbonesModule>;
public class MaskingModuleRegistration : PluginModuleConformance<SdAE.Plugins.Masking.MaskingModule>;
public class TargetsModuleRegistration : PluginModuleConformance<SdAE.Plugins.Targets.TargetsModule>;
public class HeadsModuleRegistration : PluginModuleConformance<SdAE.Plugins.Heads.HeadsModule>;
public class DatasetsModuleRegistration : PluginModuleConformance<SdAE.Plugins.Datasets.DatasetsModule>;

/// <summary>The kit's own probe encoder meets the backbone contract it stands in for.</summary>
public class ProbeEncoderConformance : BackboneConformance
{
    protected override EncoderModule CreateBackbone() => new ProbeEncoder(Context);
}
