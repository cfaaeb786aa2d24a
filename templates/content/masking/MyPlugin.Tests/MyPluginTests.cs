using SdAE.Abstractions.Masking;
using NUnit.Framework;
using SdAE.Testing;

namespace MyPlugin.Tests;

/// <summary>The masking contract, as the in-tree strategies are held to it.</summary>
[TestFixture]
public class MyPluginMaskingContract : MaskingConformance
{
    protected override IMaskingStrategy CreateMasking() => new MyPluginMasking(new MyPluginOptions());
}

/// <summary>The module registers usable names and described options, and each plugin is created from its defaults.</summary>
[TestFixture]
public class MyPluginRegistration : PluginModuleConformance<MyPluginModule>;
