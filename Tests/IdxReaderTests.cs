using SdAE.Plugins.Datasets;
using SdAE.Abstractions.Data;
using SdAE.Host.Data;
using SdAE.Tests.Support;

namespace SdAE.Tests;

public class IdxReaderTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void RoundTripsRawAndGzipped(bool gzip)
    {
        using var folder = new TempFolder();
        var path = folder.File(gzip ? "x.gz" : "x");
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        IdxReader.Write(path, [2, 3, 4], data);
        var file = IdxReader.Read(path, expectedDimensions: 3);
        Assert.That(file.Dimensions, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(file.Data, Is.EqualTo(data));
    }

    [Test]
    public void TruncatedFileIsRejectedWithTheByteCounts()
    {
        using var folder = new TempFolder();
        var path = folder.File("x");
        IdxReader.Write(path, [10], new byte[10]);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^3]);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, 1));
        Assert.That(e!.Message, Does.Contain("truncated").And.Contain("10 bytes").And.Contain("has 7"));
    }

    [Test]
    public void TruncatedGzipIsRejected()
    {
        using var folder = new TempFolder();
        var path = folder.File("x.gz");
        IdxReader.Write(path, [1000], Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^20]);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, 1));
        Assert.That(e!.Message, Does.Contain("gzip").Or.Contain("truncated"));
    }

    [Test]
    public void ForeignFileIsRejectedByMagic()
    {
        using var folder = new TempFolder();
        var path = folder.Write("x", "PNG not really an idx file");
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, 3));
        Assert.That(e!.Message, Does.Contain("not an IDX file"));
    }

    [Test]
    public void LabelsFileWhereImagesExpectedSaysSo()
    {
        using var folder = new TempFolder();
        var path = folder.File("x");
        IdxReader.Write(path, [5], new byte[5]);
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, 3));
        Assert.That(e!.Message, Does.Contain("1 dimensions, expected 3"));
    }

    [Test]
    public void MissingDatasetIsAUserErrorPointingAtTheFetchCommand()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<DataSourceException>(() => TestData.Mnist(folder.Path, DataSplit.Train));
        Assert.That(e!.Fix, Does.Contain("sdae data fetch mnist").And.Contain("scripts/fetch-data.sh"));
    }

    [Test]
    public void CorruptDatasetFileIsAUserError()
    {
        using var folder = new TempFolder();
        TestData.WriteStripes(folder.Path, 20, 10);
        var images = Path.Combine(folder.Path, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..100]);
        var e = Assert.Throws<DataSourceException>(() => TestData.Mnist(folder.Path, DataSplit.Train));
        Assert.That(e!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void LoadsGeneratedDatasetWithLimitAndNormalisation()
    {
        using var folder = new TempFolder();
        TestData.WriteStripes(folder.Path, 30, 10, gzip: true);
        using var train = TestData.Mnist(folder.Path, DataSplit.Train, limit: 12);
        Assert.That(train.Count, Is.EqualTo(12));
        Assert.That(train.Labels.data<long>().ToArray()[..3], Is.EqualTo(new long[] { 0, 1, 2 }));
        using var indices = TorchSharp.torch.tensor(new long[] { 0, 5 });
        using var images = train.Images(indices);
        Assert.That(images.shape, Is.EqualTo(new long[] { 2, 1, 28, 28 }));
    }
}
