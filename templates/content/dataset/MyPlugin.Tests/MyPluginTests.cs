using NUnit.Framework;
using SdAE.Abstractions.Data;
using SdAE.Testing;

namespace MyPlugin.Tests;

/// <summary>The dataset contract: images of the declared shape, stable bytes from any thread, labels that index the classes.</summary>
[TestFixture]
public class MyPluginDatasetContract : DatasetConformance
{
    protected override IDatasetSource CreateDataset() => new MyPluginDataset(new MyPluginOptions { Count = 50, TestCount = 10 });
}

[TestFixture]
public class MyPluginRegistration : PluginModuleConformance<MyPluginModule>;
