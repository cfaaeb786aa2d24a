using System.Reflection;

namespace SdAE.Tests.Support;

/// <summary>The external test plugin (Tests/Fixtures/FixturePlugin), built beside the tests but never referenced.</summary>
public static class FixturePlugin
{
    public static string Path => typeof(FixturePlugin).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FixturePluginPath").Value!;
}
