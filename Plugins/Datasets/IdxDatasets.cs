using System.ComponentModel;
using SdAE.Abstractions.Data;

namespace SdAE.Plugins.Datasets;

public sealed class IdxOptions
{
    [Description("Folder with train-/t10k-images-idx3-ubyte[.gz] and the labels files; default data/<dataset> (`sdae data fetch <dataset>` fetches it there).")]
    public string? Root { get; set; }
}

/// <summary>
/// An MNIST-format set (IDX files, 28x28 grayscale, 10 classes): `train-*` is the training split,
/// `t10k-*` the test split, raw or gzipped.
/// </summary>
public abstract class IdxDataset(IdxOptions options) : IDatasetSource
{
    protected abstract string DatasetName { get; }
    protected abstract string DefaultFolder { get; }
    protected abstract string[] ClassNames { get; }
    protected abstract (float[] Mean, float[] Std) Normalization { get; }

    public IImageSource Open(DataSplit split, DataRequest request)
    {
        var root = options.Root ?? Path.Combine("data", DefaultFolder);
        var prefix = split == DataSplit.Train ? "train" : "t10k";
        var imagesPath = Locate(root, $"{prefix}-images-idx3-ubyte");
        var labelsPath = Locate(root, $"{prefix}-labels-idx1-ubyte");
        var refetch = $"delete {root} and run `sdae data fetch {DatasetName}` (or scripts/fetch-data.sh) to fetch a fresh copy.";
        try
        {
            var images = IdxReader.Read(imagesPath, expectedDimensions: 3);
            var labels = IdxReader.Read(labelsPath, expectedDimensions: 1);
            if (images.Dimensions[0] != labels.Dimensions[0])
                throw new DataSourceException($"{imagesPath} has {images.Dimensions[0]} images but {labelsPath} has {labels.Dimensions[0]} labels.", refetch);
            int side = images.Dimensions[1];
            if (images.Dimensions[2] != side)
                throw new DataSourceException($"{imagesPath} holds {side}x{images.Dimensions[2]} images; only square images are supported.", "use square images.");
            var labelValues = labels.Data.Select(b => (int)b).ToArray();
            if (labelValues.Max() >= ClassNames.Length)
                throw new DataSourceException($"{labelsPath} has label {labelValues.Max()}; {DatasetName} has {ClassNames.Length} classes.", refetch);
            return new InMemoryImageSource($"{DatasetName}/{prefix}", images.Data, channels: 1, side, labelValues, ClassNames, Normalization);
        }
        catch (IdxFormatException e)
        {
            throw new DataSourceException(e.Message, refetch);
        }
    }

    string Locate(string root, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(root, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataSourceException($"{DatasetName} data not found: no {name}[.gz] in {Path.GetFullPath(root)}.",
            $"run `sdae data fetch {DatasetName}` here (or scripts/fetch-data.sh in a checkout), or set data.root to the folder that holds the IDX files.");
    }
}

/// <summary>Plugin `mnist`: handwritten digits.</summary>
public sealed class MnistDataset(IdxOptions options) : IdxDataset(options)
{
    protected override string DatasetName => "mnist";
    protected override string DefaultFolder => "mnist";
    protected override string[] ClassNames => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    protected override (float[] Mean, float[] Std) Normalization => ([0.1307f], [0.3081f]);
}

/// <summary>Plugin `fashion_mnist`: Zalando's clothing items in MNIST's format.</summary>
public sealed class FashionMnistDataset(IdxOptions options) : IdxDataset(options)
{
    protected override string DatasetName => "fashion_mnist";
    protected override string DefaultFolder => "fashion-mnist";
    protected override string[] ClassNames => ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];
    protected override (float[] Mean, float[] Std) Normalization => ([0.2860f], [0.3530f]);
}
