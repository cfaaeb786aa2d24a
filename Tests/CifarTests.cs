using SdAE.Abstractions.Data;
using SdAE.Host.Config;
using SdAE.Plugins.Datasets;
using SdAE.Tests.Support;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class CifarTests
{
    TempFolder folder = null!;

    [SetUp] public void SetUp() => folder = new TempFolder();
    [TearDown] public void TearDown() => folder.Dispose();

    /// <summary>Writes records of (label bytes, 3,072 pixel bytes) with pixels from a seed; returns the pixels.</summary>
    static byte[] WriteRecords(string path, byte[][] labels, int seed)
    {
        var pixels = new byte[labels.Length * 3072];
        new Random(seed).NextBytes(pixels);
        using var file = File.Create(path);
        for (int r = 0; r < labels.Length; r++)
        {
            file.Write(labels[r]);
            file.Write(pixels, r * 3072, 3072);
        }
        return pixels;
    }

    static byte[] AllPixels(Host.Data.StoredImageDataset set)
    {
        using var pixels = set.Pixels(arange(set.Count, dtype: ScalarType.Int64));
        return pixels.data<byte>().ToArray();
    }

    [Test]
    public void Cifar10BatchesGiveBackTheirPixelsAndLabels()
    {
        var root = Path.Combine(folder.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(root);
        var expected = new List<byte>();
        for (int b = 1; b <= 5; b++)
            expected.AddRange(WriteRecords(Path.Combine(root, $"data_batch_{b}.bin"), [[(byte)b], [(byte)(b + 4)]], seed: b));
        var testPixels = WriteRecords(Path.Combine(root, "test_batch.bin"), [[3]], seed: 9);
        File.WriteAllLines(Path.Combine(root, "batches.meta.txt"), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", ""]);

        var source = new CifarDataset(new CifarOptions { Root = folder.Path });   // the extracted folder inside root is found
        using var train = TestData.Load(source, DataSplit.Train, new DataOptions());
        using var test = TestData.Load(source, DataSplit.Test, new DataOptions());
        Assert.That(train.Count, Is.EqualTo(10));
        Assert.That(train.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 5, 2, 6, 3, 7, 4, 8, 5, 9 }));
        Assert.That(AllPixels(train), Is.EqualTo(expected.ToArray()), "records are channel-major already: R plane, G plane, B plane");
        Assert.That(AllPixels(test), Is.EqualTo(testPixels));
        Assert.That(train.ClassNames[9], Is.EqualTo("truck"));
        Assert.That(train.Normalization.Mean, Is.EqualTo(new[] { 0.4914f, 0.4822f, 0.4465f }), "CIFAR-10's published statistics");
    }

    [TestCase(CifarLabels.Fine, 77, 100)]
    [TestCase(CifarLabels.Coarse, 13, 20)]
    public void Cifar100ReadsFineOrCoarseLabels(CifarLabels labels, long expected, int classes)
    {
        WriteRecords(Path.Combine(folder.Path, "train.bin"), [[13, 77]], seed: 1);
        WriteRecords(Path.Combine(folder.Path, "test.bin"), [[13, 77]], seed: 2);
        using var train = TestData.Load(new CifarDataset(new CifarOptions { Root = folder.Path, Labels = labels }), DataSplit.Train, new DataOptions());
        Assert.That(train.Labels.data<long>().Single(), Is.EqualTo(expected));
        Assert.That(train.ClassCount, Is.EqualTo(classes));
    }

    [Test]
    public void AFileOfTheWrongLengthIsNamed()
    {
        WriteRecords(Path.Combine(folder.Path, "train.bin"), [[1, 2]], seed: 1);
        var test = Path.Combine(folder.Path, "test.bin");
        WriteRecords(test, [[1, 2]], seed: 2);
        File.WriteAllBytes(test, File.ReadAllBytes(test)[..3000]);
        var e = Assert.Throws<DataSourceException>(() => TestData.Load(new CifarDataset(new CifarOptions { Root = folder.Path }), DataSplit.Test, new DataOptions()))!;
        Assert.That(e.Message, Does.Contain(test).And.Contain("3,000 bytes").And.Contain("3074"));
    }

    [Test]
    public void AFolderWithoutCifarFilesSaysWhatItNeeds()
    {
        var e = Assert.Throws<DataSourceException>(() => new CifarDataset(new CifarOptions { Root = folder.Path }).Open(DataSplit.Train, new DataRequest()))!;
        Assert.That(e.Message, Does.Contain("data_batch_1.bin").And.Contain("train.bin"));
    }
}
