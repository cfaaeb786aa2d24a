using SdAE.Abstractions.Models;
using NUnit.Framework;
using SdAE.Testing;

namespace MyPlugin.Tests;

/// <summary>The backbone contract: shapes of every encoding mode, gradients everywhere, layer indices, copies.</summary>
[TestFixture]
public class MyPluginBackboneContract : BackboneConformance
{
    protected override EncoderModule CreateBackbone() => new MyPluginEncoder(new MyPluginOptions(), Context);
}

[TestFixture]
public class MyPluginRegistration : PluginModuleConformance<MyPluginModule>;
