using System.IO.Compression;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// The SDK packages as a product: a breaking change to the contract fails its pack (package
/// validation against build/baseline/), and one commit packed from two clone paths gives the same
/// assembly bytes.
/// </summary>
public class PackageTests
{
    static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));

    static ProcessResult Dotnet(string workingDirectory, params string[] arguments) =>
        ChildProcess.Run("dotnet", arguments, workingDirectory, new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });

    static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Test]
    public void RemovingAPublicMemberOfTheContractFailsItsPackNamingTheMember()
    {
        using var copy = new TempFolder();
        CopyFolder(Path.Combine(Repository, "Abstractions"), copy.File("Abstractions"));
        CopyFolder(Path.Combine(Repository, "build"), copy.File("build"));
        File.Copy(Path.Combine(Repository, "Directory.Build.props"), copy.File("Directory.Build.props"));
        var plan = copy.File(Path.Combine("Abstractions", "Masking", "MaskPlan.cs"));
        var source = File.ReadAllText(plan);
        const string member = "    public long BatchSize => Mask.shape[0];";
        Assert.That(source, Does.Contain(member));

        var intact = Dotnet(copy.Path, "pack", "Abstractions", "-o", copy.File("intact"));
        Assert.That(intact.ExitCode, Is.EqualTo(0), $"the contract as it is packs against its baseline:\n{intact.All}");

        File.WriteAllText(plan, source.Replace(member, ""));
        var broken = Dotnet(copy.Path, "pack", "Abstractions", "-o", copy.File("broken"));
        Assert.That(broken.ExitCode, Is.Not.EqualTo(0), broken.All);
        Assert.That(broken.All, Does.Contain("CP0002").And.Contain("BatchSize"), "package validation names the rule and the member");
    }

    [Test]
    public void OneCommitPackedFromTwoClonePathsGivesIdenticalAssemblies()
    {
        using var work = new TempFolder();
        var dlls = new List<byte[]>();
        foreach (var clone in new[] { "a", Path.Combine("somewhere", "much", "deeper", "b") })
        {
            var path = work.File(clone);
            var cloned = ChildProcess.Run("git", ["clone", "--quiet", "--no-hardlinks", Repository, path]);
            Assert.That(cloned.ExitCode, Is.EqualTo(0), cloned.All);
            var feed = Path.Combine(path, "feed");
            var pack = Dotnet(path, "pack", "Abstractions", "-o", feed);
            Assert.That(pack.ExitCode, Is.EqualTo(0), pack.All);
            using var package = ZipFile.OpenRead(Directory.GetFiles(feed, "SdAE.Abstractions.*.nupkg").Single());
            using var dll = package.GetEntry("lib/net10.0/SdAE.Abstractions.dll")!.Open();
            using var bytes = new MemoryStream();
            dll.CopyTo(bytes);
            dlls.Add(bytes.ToArray());
        }
        Assert.That(dlls[1], Is.EqualTo(dlls[0]), "the same bytes from two clone paths");
    }
}
