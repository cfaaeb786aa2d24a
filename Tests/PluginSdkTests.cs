using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// The whole path a plugin author walks, outside this repository: pack the SDK into a local feed,
/// install the templates, instantiate each into a temporary folder, build it against that feed
/// (packages the machine already has are taken from its NuGet cache; nothing else is reachable),
/// run its generated conformance tests, and train one epoch with the built plugin through `plugins:`
/// using the sdae .NET tool installed from the same feed: no checkout of this repository involved.
/// Then a plugin made from the same template against the previous minor version's packages
/// (build/baseline) trains in that tool unchanged.
/// </summary>
public class PluginSdkTests() : StripeDataFixture(trainCount: 256, testCount: 60)
{
    static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));

    /// <summary>dotnet with this test's own package folder (no stale SdAE package from an earlier run).</summary>
    ProcessResult Dotnet(string workingDirectory, params string[] arguments) =>
        ChildProcess.Run("dotnet", arguments, workingDirectory, new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(folder.Path, "packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        });

    static string MachinePackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    [Test]
    public void EachTemplateBuildsAgainstTheLocalFeedPassesItsTestsAndTrainsThroughPlugins()
    {
        // a prerelease of the contract's own version: package validation wants at least the baseline's assembly version
        var version = $"{SdAE.Host.Plugins.PluginCatalog.ContractVersion.ToString(3)}-ci.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = Path.Combine(folder.Path, "feed");
        foreach (var project in new[] { "Abstractions", "Training", "Testing", "templates", "Host" })
        {
            var pack = Dotnet(Repository, "pack", project, "-o", feed, $"-p:Version={version}", "-p:ContinuousIntegrationBuild=true");
            Assert.That(pack.ExitCode, Is.EqualTo(0), $"pack {project}:\n{pack.All}");
        }
        var hive = Path.Combine(folder.Path, "hive");
        var install = Dotnet(folder.Path, "new", "install", Path.Combine(feed, $"SdAE.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        Assert.That(install.ExitCode, Is.EqualTo(0), install.All);

        var tools = Path.Combine(folder.Path, "tools");
        var tool = Dotnet(folder.Path, "tool", "install", "--tool-path", tools, "--add-source", feed, "--version", version, "SdAE.Tool");
        Assert.That(tool.ExitCode, Is.EqualTo(0), $"the sdae tool installs from the feed:\n{tool.All}");
        var sdae = Path.Combine(tools, "sdae");

        var work = Path.Combine(folder.Path, "work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="sdae" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{MachinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        foreach (var (kind, name) in new[] { ("masking", "Stripes"), ("target", "PatchMean"), ("head", "NearestMean"), ("backbone", "MlpMixer"), ("dataset", "Synthetic") })
        {
            var created = Dotnet(work, "new", $"sdae-{kind}", "-n", name, "--SdaeVersion", version, "--debug:custom-hive", hive);
            Assert.That(created.ExitCode, Is.EqualTo(0), $"{kind}: {created.All}");
            var root = Path.Combine(work, name);

            var tests = Dotnet(root, "test", $"{name}.Tests");
            Assert.That(tests.ExitCode, Is.EqualTo(0), $"{kind}: the generated tests\n{tests.All}");
            Assert.That(tests.All, Does.Match(@"Passed:\s+[3-9]"), $"{kind}: the conformance fixtures ran\n{tests.All}");

            var build = Dotnet(root, "build", name, "-c", "Release");
            Assert.That(build.ExitCode, Is.EqualTo(0), $"{kind}: {build.All}");
            var output = Path.Combine(root, name, "bin", "Release", "net10.0");
            Assert.That(Directory.GetFiles(output).Select(Path.GetFileName), Does.Contain($"{name}.dll").And.Not.Contain("TorchSharp.dll").And.Not.Contain("SdAE.Abstractions.dll"),
                $"{kind}: the plugin ships its own assembly, not what it shares with the host");

            var experiment = Path.Combine(root, "experiment.yaml");
            File.WriteAllText(experiment, File.ReadAllText(experiment)
                .Replace("type: fashion_mnist", "type: mnist").Replace("root: data/fashion-mnist", $"root: {dataRoot}")
                .Replace("train_limit: 2048", "train_limit: 256").Replace("test_limit: 512", "test_limit: 60"));
            var run = ChildProcess.Run(sdae, ["run", experiment], root);
            Assert.That(run.ExitCode, Is.EqualTo(0), $"{kind}: one epoch with the plugin\n{run.All}");
            Assert.That(File.Exists(Path.Combine(root, "runs", $"{name.ToLowerInvariant()}_check", "default", "results.json")), kind);
        }

        // a plugin built against the previous minor version's packages (build/baseline, 2.0.0) loads and trains in this host unchanged
        var old = Path.Combine(folder.Path, "old");
        Directory.CreateDirectory(old);
        File.WriteAllText(Path.Combine(old, "nuget.config"), File.ReadAllText(Path.Combine(work, "nuget.config")).Replace(feed, Path.Combine(Repository, "build", "baseline")));
        var baseline = File.ReadAllText(Path.Combine(Repository, "Directory.Build.props")).Split("<SdAEContractBaseline>")[1].Split('<')[0];
        Assert.That(Dotnet(old, "new", "sdae-masking", "-n", "OldStripes", "--SdaeVersion", baseline, "--debug:custom-hive", hive).ExitCode, Is.EqualTo(0));
        var oldRoot = Path.Combine(old, "OldStripes");
        var oldBuild = Dotnet(oldRoot, "build", "OldStripes", "-c", "Release");
        Assert.That(oldBuild.ExitCode, Is.EqualTo(0), $"built against SdAE.Abstractions {baseline}:\n{oldBuild.All}");
        var oldExperiment = Path.Combine(oldRoot, "experiment.yaml");
        File.WriteAllText(oldExperiment, File.ReadAllText(oldExperiment)
            .Replace("type: fashion_mnist", "type: mnist").Replace("root: data/fashion-mnist", $"root: {dataRoot}")
            .Replace("train_limit: 2048", "train_limit: 256").Replace("test_limit: 512", "test_limit: 60"));
        var oldRun = ChildProcess.Run(sdae, ["run", oldExperiment], oldRoot);
        Assert.That(oldRun.ExitCode, Is.EqualTo(0), $"a {baseline} plugin in the {version} host\n{oldRun.All}");
    }
}
