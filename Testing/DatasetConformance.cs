using SdAE.Abstractions.Data;

namespace SdAE.Testing;

/// <summary>
/// A dataset plugin's contract: the training split opens with images; every image reads as exactly
/// channels x size x size bytes, the same bytes every time and from several threads; labels are one
/// per image and index the class names (or both are empty: an unlabelled set); a cache key, when
/// given, is the same for the same data. Derive and return your source, pointed at test data.
/// </summary>
public abstract class DatasetConformance : PluginConformance
{
    protected abstract IDatasetSource CreateDataset();

    /// <summary>The image size requested (0: the images' own).</summary>
    protected virtual int ImageSize => 0;

    IImageSource OpenTrain(IDatasetSource dataset) =>
        dataset.Open(DataSplit.Train, new DataRequest { ImageSize = ImageSize }) ?? throw new AssertionException("the training split must open");

    [Test]
    public void TheTrainingSplitHasImagesOfTheDeclaredShapeAndLabelsThatFit()
    {
        using var train = OpenTrain(CreateDataset());
        Assert.That(train.Count, Is.GreaterThan(0));
        Assert.That(train.Channels, Is.EqualTo(1).Or.EqualTo(3));
        Assert.That(train.Size, Is.GreaterThan(0));
        if (ImageSize > 0) Assert.That(train.Size, Is.EqualTo(ImageSize).Or.LessThan(ImageSize), "decoded at the requested size, or smaller for the host to resize");
        if (train.ClassNames.Count == 0)
        {
            Assert.That(train.Labels, Is.Empty, "an unlabelled set has no labels");
            return;
        }
        Assert.That(train.Labels, Has.Count.EqualTo(train.Count), "one label per image");
        Assert.That(train.Labels, Is.All.InRange(0, train.ClassNames.Count - 1), "labels index the class names");
    }

    [Test]
    public void EveryImageReadsTheSameBytesEveryTimeAndFromSeveralThreads()
    {
        using var train = OpenTrain(CreateDataset());
        int bytes = train.Channels * train.Size * train.Size;
        var indices = new[] { 0, train.Count / 2, train.Count - 1 }.Distinct().ToArray();
        var first = indices.Select(i => Read(train, i, bytes)).ToArray();
        var parallel = new byte[indices.Length][];
        Parallel.For(0, indices.Length, k => parallel[k] = Read(train, indices[k], bytes));
        for (int k = 0; k < indices.Length; k++)
        {
            Assert.That(Read(train, indices[k], bytes), Is.EqualTo(first[k]), $"image {indices[k]} read twice");
            Assert.That(parallel[k], Is.EqualTo(first[k]), $"image {indices[k]} read on another thread");
        }
    }

    [Test]
    public void TheCacheKeyIsStableForTheSameData()
    {
        using var once = OpenTrain(CreateDataset());
        using var again = OpenTrain(CreateDataset());
        Assert.That(again.CacheKey, Is.EqualTo(once.CacheKey));
        Assert.That(again.Name, Is.Not.Empty);
    }

    static byte[] Read(IImageSource source, int index, int bytes)
    {
        var buffer = new byte[bytes];
        source.Read(index, buffer);
        return buffer;
    }
}
