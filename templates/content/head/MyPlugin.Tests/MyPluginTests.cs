using SdAE.Abstractions.Heads;
using NUnit.Framework;
using SdAE.Testing;

namespace MyPlugin.Tests;

/// <summary>The head contract: top-1 and finite metrics in range, curve points with their epoch, the encoder left as it was.</summary>
[TestFixture]
public class MyPluginHeadContract : HeadConformance
{
    protected override IDownstreamHead CreateHead() => new MyPluginHead(new MyPluginOptions());
}

[TestFixture]
public class MyPluginRegistration : PluginModuleConformance<MyPluginModule>;
