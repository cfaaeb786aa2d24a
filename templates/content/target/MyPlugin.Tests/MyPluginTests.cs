using SdAE.Abstractions.Targets;
using NUnit.Framework;
using SdAE.Testing;

namespace MyPlugin.Tests;

/// <summary>The target contract: finite targets without gradients, a finite loss that back-propagates, state that survives a checkpoint.</summary>
[TestFixture]
public class MyPluginTargetContract : TargetConformance
{
    protected override IReconstructionTarget CreateTarget() => new MyPluginTarget(new MyPluginOptions());
}

[TestFixture]
public class MyPluginRegistration : PluginModuleConformance<MyPluginModule>;
