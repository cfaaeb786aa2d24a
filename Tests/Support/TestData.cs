using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Plugins.Datasets;

namespace SdAE.Tests.Support;

/// <summary>Small generated datasets in IDX form, so tests need no download.</summary>
public static class TestData
{
    /// <summary>One split of the generated MNIST-format set in <paramref name="folder"/>, as a run loads it.</summary>
    public static StoredImageDataset Mnist(string folder, DataSplit split, int limit = 0) =>
        Load(new MnistDataset(new IdxOptions { Root = folder }), split, new DataOptions(), limit);

    /// <summary>One split of a dataset plugin through the host's data path (decoded cache under <paramref name="cacheFolder"/>).</summary>
    public static StoredImageDataset Load(IDatasetSource source, DataSplit split, DataOptions options, int limit = 0, string? cacheFolder = null)
    {
        using var opened = source.Open(split, new DataRequest { ImageSize = options.ImageSize }) ?? throw new InvalidOperationException($"no {split} split");
        return ImageSets.Load(opened, options, limit, cacheFolder ?? Path.Combine(Path.GetTempPath(), "sdae-tests", "cache"), normalization: null, NullProgressReporter.Instance);
    }

    /// <summary>
    /// Writes train/t10k IDX files of 28x28 images into <paramref name="folder"/>. Class c is a
    /// stripe pattern (orientation and frequency depend on c) plus noise, so classes are learnable.
    /// </summary>
    public static string WriteStripes(string folder, int trainCount, int testCount, int seed = 0, bool gzip = false)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        Write(folder, "train", trainCount, random, gzip);
        Write(folder, "t10k", testCount, random, gzip);
        return folder;
    }

    static void Write(string folder, string prefix, int count, Random random, bool gzip)
    {
        const int side = 28;
        var pixels = new byte[count * side * side];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % 10;
            labels[n] = (byte)label;
            bool vertical = label % 2 == 0;
            int period = 2 + label / 2;
            int phase = random.Next(period);
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    int coordinate = (vertical ? x : y) + phase;
                    double value = (coordinate / period) % 2 == 0 ? 200 : 40;
                    value += random.Next(-30, 31);
                    pixels[(n * side + y) * side + x] = (byte)Math.Clamp(value, 0, 255);
                }
        }
        var suffix = gzip ? ".gz" : "";
        IdxReader.Write(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{suffix}"), [count, side, side], pixels);
        IdxReader.Write(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{suffix}"), [count], labels);
    }
}

/// <summary>A fresh temporary folder per test, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sdae-tests", Guid.NewGuid().ToString("N"));
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public string Write(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
