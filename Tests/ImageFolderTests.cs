using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;
using SdAE.Host;
using SdAE.Host.Config;
using SdAE.Host.Data;
using SdAE.Plugins.Datasets;
using SdAE.Tests.Support;
using SkiaSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class ImageFolderTests
{
    TempFolder folder = null!;
    string Cache => Path.Combine(folder.Path, "cache");

    [SetUp] public void SetUp() => folder = new TempFolder();
    [TearDown] public void TearDown() => folder.Dispose();

    StoredImageDataset Load(ImageFolderOptions options, DataSplit split = DataSplit.Train, int imageSize = 0) =>
        TestData.Load(new ImageFolderDataset(options), split, new DataOptions { ImageSize = imageSize }, cacheFolder: Cache);

    static byte[] AllPixels(StoredImageDataset set)
    {
        using var pixels = set.Pixels(arange(set.Count, dtype: ScalarType.Int64));
        return pixels.data<byte>().ToArray();
    }

    [Test]
    public void PngClassFoldersGiveBackTheirExactPixelsAndSortedClasses()
    {
        var root = Path.Combine(folder.Path, "set");
        var written = ImageFiles.WriteLabelledFolder(root, ["zebra", "apple", "mango"], perClass: 3, side: 12);
        using var set = Load(new ImageFolderOptions { Root = root });

        Assert.That(set.ClassNames, Is.EqualTo(new[] { "apple", "mango", "zebra" }), "classes are the sorted folder names");
        Assert.That(set.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 1, 1, 2, 2, 2 }));
        var expected = written.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value).ToArray();
        Assert.That(AllPixels(set), Is.EqualTo(expected));
        Assert.That(set.Normalization.Mean, Has.Length.EqualTo(3), "no published statistics: measured per channel over the training split");
        Assert.That(set.Normalization.Mean[0], Is.EqualTo(127.5f / 255).Within(0.05));
    }

    [Test]
    public void JpegIsReadWithinCompressionToleranceAndGrayscaleIsLuma()
    {
        var root = Path.Combine(folder.Path, "jpegs");
        var pixels = ImageFiles.Gradient(24, 24, seed: 1);
        ImageFiles.Write(Path.Combine(root, "a.jpg"), pixels, 24, 24, SKEncodedImageFormat.Jpeg);
        using var rgb = Load(new ImageFolderOptions { Root = root });
        var read = AllPixels(rgb);
        double meanError = read.Zip(pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.That(meanError, Is.LessThan(3.0));

        using var gray = TestData.Load(new ImageFolderDataset(new ImageFolderOptions { Root = root, Channels = 1 }), DataSplit.Train, new DataOptions(), cacheFolder: Cache);
        Assert.That(gray.Channels, Is.EqualTo(1));
        int luma = (299 * pixels[0] + 587 * pixels[576] + 114 * pixels[1152]) / 1000;
        Assert.That((int)AllPixels(gray)[0], Is.EqualTo(luma).Within(4));
    }

    [Test]
    public void NonSquareImagesAreCentreCroppedOrStretchedToTheImageSize()
    {
        // 32x16: left and right quarters red, the middle half green
        var root = Path.Combine(folder.Path, "wide");
        var pixels = new byte[3 * 32 * 16];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 32; x++)
                pixels[(x is >= 8 and < 24 ? 1 : 0) * 512 + y * 32 + x] = 255;
        ImageFiles.Write(Path.Combine(root, "wide.png"), pixels, 32, 16);

        using var cropped = Load(new ImageFolderOptions { Root = root }, imageSize: 8);
        var crop = AllPixels(cropped);
        Assert.That(cropped.ImageSize, Is.EqualTo(8));
        Assert.That(crop[..64].Max(), Is.LessThan(10), "the centre square has no red");
        Assert.That(crop[64..128].Min(), Is.GreaterThan(245), "and is all green");

        using var stretched = TestData.Load(new ImageFolderDataset(new ImageFolderOptions { Root = root, Fit = SquareFit.Stretch }), DataSplit.Train,
            new DataOptions { ImageSize = 8 }, cacheFolder: Cache);
        Assert.That(AllPixels(stretched)[..64].Max(), Is.GreaterThan(245), "stretching keeps the red sides");
    }

    [Test]
    public void ImageNetLayoutReadsTrainAndValWithTheTrainingClasses()
    {
        var root = Path.Combine(folder.Path, "imagenet");
        ImageFiles.WriteLabelledFolder(Path.Combine(root, "train"), ["n01", "n02"], perClass: 3, side: 8);
        ImageFiles.WriteLabelledFolder(Path.Combine(root, "val"), ["n02"], perClass: 2, side: 8);
        var (train, test) = ImageSets.Load(new ImageFolderDataset(new ImageFolderOptions { Root = root }), new DataOptions(), Cache, NullProgressReporter.Instance);
        using var _ = train;
        using var val = test!;
        Assert.That(train.Count, Is.EqualTo(6));
        Assert.That(val.ClassNames, Is.EqualTo(new[] { "n01", "n02" }));
        Assert.That(val.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1 }), "val labels index the training classes");
        Assert.That(val.Normalization.Mean, Is.EqualTo(train.Normalization.Mean), "the test split is normalised like the training split");
    }

    [Test]
    public void ValFractionHoldsOutEachClassTheSameWayEveryTime()
    {
        var root = Path.Combine(folder.Path, "set");
        ImageFiles.WriteLabelledFolder(root, ["a", "b"], perClass: 10, side: 4);
        var options = new ImageFolderOptions { Root = root, ValFraction = 0.2, SplitSeed = 5 };
        using var train = Load(options);
        using var test = Load(options, DataSplit.Test);
        using var again = Load(options, DataSplit.Test);
        Assert.That(train.Count, Is.EqualTo(16));
        Assert.That(test.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 1, 1 }), "stratified: 2 of each class's 10");
        Assert.That(AllPixels(again), Is.EqualTo(AllPixels(test)));
        var trainImages = AllPixels(train).Chunk(48).Select(Convert.ToHexString).ToHashSet();
        Assert.That(AllPixels(test).Chunk(48).Select(Convert.ToHexString).Any(trainImages.Contains), Is.False, "held-out images are not trained on");

        using var otherSeed = Load(new ImageFolderOptions { Root = root, ValFraction = 0.2, SplitSeed = 6 }, DataSplit.Test);
        Assert.That(AllPixels(otherSeed), Is.Not.EqualTo(AllPixels(test)));
    }

    [Test]
    public void AFlatFolderIsUnlabelledAndHasNoTestSplit()
    {
        var root = Path.Combine(folder.Path, "photos");
        for (int i = 0; i < 5; i++) ImageFiles.Write(Path.Combine(root, $"p{i}.png"), ImageFiles.RandomPixels(8, 8, i), 8, 8);
        var source = new ImageFolderDataset(new ImageFolderOptions { Root = root });
        using var train = TestData.Load(source, DataSplit.Train, new DataOptions(), cacheFolder: Cache);
        Assert.That(train.IsLabelled, Is.False);
        Assert.That(train.Labels.data<long>().ToArray(), Is.All.EqualTo(-1));
        Assert.That(source.Open(DataSplit.Test, new DataRequest()), Is.Null);
    }

    [Test]
    public void TheDecodedCacheIsReusedAndRebuiltWhenAFileChanges()
    {
        var root = Path.Combine(folder.Path, "set");
        ImageFiles.WriteLabelledFolder(root, ["a", "b"], perClass: 2, side: 8);
        using (var first = Load(new ImageFolderOptions { Root = root })) { }
        var pixelsFile = Directory.GetFiles(Cache, "*.pixels").Single();
        File.WriteAllBytes(pixelsFile, new byte[new FileInfo(pixelsFile).Length]);   // zeroed: a reader that used the cache sees zeros
        using (var cached = Load(new ImageFolderOptions { Root = root }))
            Assert.That(AllPixels(cached).Max(), Is.EqualTo(0), "the second load maps the cache instead of decoding");

        var changed = ImageFiles.RandomPixels(8, 8, seed: 999);
        ImageFiles.Write(Path.Combine(root, "b", "001.png"), changed, 8, 8);
        File.SetLastWriteTimeUtc(Path.Combine(root, "b", "001.png"), DateTime.UtcNow.AddMinutes(1));
        using var rebuilt = Load(new ImageFolderOptions { Root = root });
        Assert.That(AllPixels(rebuilt)[(3 * 192)..], Is.EqualTo(changed), "a changed file gives a new cache, decoded afresh");
        Assert.That(Directory.GetFiles(Cache, "*.pixels"), Has.Length.EqualTo(1), "the stale cache is removed");
    }

    // the same with and without data.image_size, and whether the broken file is the first one (whose size the
    // folder's size is read from without image_size) or not, truncated or empty
    [TestCase("001.png", 40, 0)]
    [TestCase("001.png", 40, 8)]
    [TestCase("000.png", 0, 0)]
    [TestCase("000.png", 0, 8)]
    public void AnUnreadableImageIsSkippedUpToTheLimitThenStopsTheRun(string broken, int keptBytes, int imageSize)
    {
        var root = Path.Combine(folder.Path, "set");
        ImageFiles.WriteLabelledFolder(root, ["a", "b"], perClass: 4, side: 8);
        File.WriteAllBytes(Path.Combine(root, "a", broken), File.ReadAllBytes(Path.Combine(root, "a", broken))[..keptBytes]);
        var source = () => new ImageFolderDataset(new ImageFolderOptions { Root = root });

        using var tolerant = TestData.Load(source(), DataSplit.Train, new DataOptions { MaxUnreadable = 0.2, ImageSize = imageSize }, cacheFolder: Cache);
        Assert.That(tolerant.Count, Is.EqualTo(7));
        Assert.That(tolerant.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 1, 1, 1 }), "labels stay with their images");

        Directory.Delete(Cache, recursive: true);
        var e = Assert.Throws<UserError>(() => TestData.Load(source(), DataSplit.Train, new DataOptions { MaxUnreadable = 0.1, ImageSize = imageSize }, cacheFolder: Cache));
        Assert.That(e!.Message, Does.Contain("1 of 8 images").And.Contain(broken));
        Assert.That(e.Fix, Does.Contain("max_unreadable"));
    }

    [Test]
    public void AFolderOfEmptyImageFilesIsOneErrorSayingNoneCanBeRead()
    {
        var root = Path.Combine(folder.Path, "zeros");
        Directory.CreateDirectory(root);
        for (int i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(root, $"{i}.png"), []);
        var e = Assert.Throws<DataSourceException>(() => Load(new ImageFolderOptions { Root = root }))!;
        Assert.That(e.Message, Does.Contain("none of the 4 images").And.Contain("zeros"));
    }

    [Test]
    public void ALinkBackUpTheTreeIsWarnedAboutOnceAndNotFollowedSoEveryFileCountsOnceInItsOwnClass()
    {
        var root = Path.Combine(folder.Path, "set");
        ImageFiles.WriteLabelledFolder(root, ["a", "b"], perClass: 6, side: 4);
        Directory.CreateSymbolicLink(Path.Combine(root, "b", "up"), "..");
        var warnings = new List<string>();
        var listing = FolderListing.Read(root, new ImageFolderOptions { Root = root }, warnings.Add);
        Assert.That(listing.Train.Files, Has.Length.EqualTo(12));
        Assert.That(listing.Train.Labels.Count(l => l == 1), Is.EqualTo(6), "class b holds only its own images");
        Assert.That(listing.Train.Files.Distinct().Count(), Is.EqualTo(12));
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.Contain(Path.Combine("b", "up")).And.Contain("loop"));
    }

    [Test]
    public void TwoLoopsInAnUnlabelledTreeEndInSecondsWithEachImageOnce()
    {
        var root = Path.Combine(folder.Path, "photos");
        foreach (var sub in new[] { "x", "y" })
            for (int i = 0; i < 3; i++) ImageFiles.Write(Path.Combine(root, sub, $"{i}.png"), ImageFiles.RandomPixels(4, 4, i), 4, 4);
        Directory.CreateSymbolicLink(Path.Combine(root, "x", "loop"), "..");
        Directory.CreateSymbolicLink(Path.Combine(root, "y", "sideways"), Path.Combine("..", "x"));
        var warnings = new List<string>();
        var listing = Task.Run(() => FolderListing.Read(root, new ImageFolderOptions { Root = root, Unlabelled = true }, warnings.Add));
        Assert.That(listing.Wait(TimeSpan.FromSeconds(20)), Is.True, "the listing ends");
        Assert.That(listing.Result.Train.Files, Has.Length.EqualTo(6));
        Assert.That(warnings, Has.Count.EqualTo(2), string.Join("\n", warnings));
    }

    [TestCase("missing", "image folder not found")]
    [TestCase("empty", "no images")]
    [TestCase("emptyclass", "has no images")]
    [TestCase("mixed", "images of different sizes")]
    [TestCase("textonly", "no images")]
    public void BadFoldersGiveOneErrorNamingThePath(string layout, string message)
    {
        var root = Path.Combine(folder.Path, layout);
        switch (layout)
        {
            case "empty": Directory.CreateDirectory(root); break;
            case "emptyclass":
                ImageFiles.WriteLabelledFolder(root, ["a"], 2, 8);
                Directory.CreateDirectory(Path.Combine(root, "b"));
                break;
            case "mixed":
                ImageFiles.Write(Path.Combine(root, "1.png"), ImageFiles.RandomPixels(8, 8, 1), 8, 8);
                ImageFiles.Write(Path.Combine(root, "2.png"), ImageFiles.RandomPixels(6, 6, 2), 6, 6);
                break;
            case "textonly":
                Directory.CreateDirectory(root);
                File.WriteAllText(Path.Combine(root, "notes.txt"), "hello");
                break;
        }
        var e = Assert.Throws<DataSourceException>(() => Load(new ImageFolderOptions { Root = root }))!;
        Assert.That(e.Message, Does.Contain(message).And.Contain(layout));
        Assert.That(Directory.Exists(Cache) ? Directory.GetFiles(Cache, "*.json") : [], Is.Empty, "nothing is cached from a failed read");
    }
}

public class ImageFolderRunTests
{
    [Test]
    public void PretrainsOnAnUnlabelledFolderAndEvaluatesOnALabelledOne()
    {
        using var folder = new TempFolder();
        var photos = Path.Combine(folder.Path, "photos");
        for (int i = 0; i < 48; i++) ImageFiles.Write(Path.Combine(photos, $"p{i:D2}.png"), ImageFiles.Gradient(20, 16, i), 20, 16);
        var labelled = Path.Combine(folder.Path, "labelled");
        ImageFiles.WriteLabelledFolder(labelled, ["cats", "dogs"], perClass: 10, side: 16);
        var yaml = $"""
            name: photos
            device: cpu
            output: {Path.Combine(folder.Path, "runs")}
            data: {"{"} type: image_folder, root: {photos}, image_size: 16 {"}"}
            eval_data: {"{"} type: image_folder, root: {labelled}, val_fraction: 0.2 {"}"}
            backbone: {"{"} type: vit, width: 32, depth: 1, heads: 2, patch: 4 {"}"}
            decoder: {"{"} type: vit_decoder, width: 32, depth: 1, heads: 2 {"}"}
            masking: {"{"} type: random, ratio: 0.75 {"}"}
            target: {"{"} type: pixel {"}"}
            pretrain: {"{"} epochs: 1, batch: 16, reconstruction_images: 2 {"}"}
            eval: [{"{"} type: knn, k: 3 {"}"}]
            """;
        using var loaded = Host.Config.ExperimentLoader.Load(folder.Write("photos.yaml", yaml));
        var outcome = new Host.Engine.Pretrainer(loaded, Host.Engine.SilentTrainingDisplay.Instance).Run();

        Assert.That(outcome.EpochLosses, Has.Count.EqualTo(1));
        Assert.That(double.IsFinite(outcome.EpochLosses[0]));
        var knn = outcome.Heads.Single().Result;
        Assert.That(knn.Top1, Is.InRange(0.0, 1.0));
        Assert.That(File.ReadAllLines(outcome.Folder.ClassesPath), Is.EqualTo(new[] { "cats", "dogs" }));
        Assert.That(Directory.GetFiles(Path.Combine(folder.Path, "runs", ".cache", "data"), "*.pixels"), Has.Length.EqualTo(3),
            "the photos and both labelled splits are decoded once into the output folder's cache");
    }

    [Test]
    public void HeadsOnAnUnlabelledFolderWithoutEvalDataStopBeforeTheRunFolderIsWritten()
    {
        using var folder = new TempFolder();
        var photos = Path.Combine(folder.Path, "photos");
        for (int i = 0; i < 4; i++) ImageFiles.Write(Path.Combine(photos, $"p{i}.png"), ImageFiles.Gradient(8, 8, i), 8, 8);
        var yaml = TinyExperiment.Yaml(photos, Path.Combine(folder.Path, "runs"), eval: "{ type: knn }")
            .ReplaceOnce("type: mnist", "type: image_folder").ReplaceOnce("train_limit: 256", "image_size: 28");
        using var loaded = Host.Config.ExperimentLoader.Load(folder.Write("photos.yaml", yaml));
        var e = Assert.Throws<UserError>(() => new Host.Engine.Pretrainer(loaded, Host.Engine.SilentTrainingDisplay.Instance).Run())!;
        Assert.That(e.Message, Does.Contain("need labels").And.Contain("unlabelled"));
        Assert.That(e.Fix, Does.Contain("eval_data"));
        Assert.That(Directory.Exists(Path.Combine(folder.Path, "runs", "tiny")), Is.False, "nothing is written to the run folder");
    }
}
