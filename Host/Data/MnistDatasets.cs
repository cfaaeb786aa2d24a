using SdAE.Host.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>Loads MNIST and Fashion-MNIST (IDX files as fetched by scripts/fetch-data.sh).</summary>
public static class MnistDatasets
{
    public enum Split { Train, Test }

    public static string DefaultRoot(DatasetName dataset) => Path.Combine("data", dataset switch
    {
        DatasetName.FashionMnist => "fashion-mnist",
        _ => "mnist",
    });

    static (float[] Mean, float[] Std) Statistics(DatasetName dataset) => dataset switch
    {
        DatasetName.FashionMnist => ([0.2860f], [0.3530f]),
        _ => ([0.1307f], [0.3081f]),
    };

    /// <summary>Loads one split, honouring the data options' limit and image size.</summary>
    public static InMemoryImageDataset Load(DataOptions options, Split split)
    {
        var root = options.Root ?? DefaultRoot(options.Dataset);
        var limit = split == Split.Train ? options.TrainLimit : options.TestLimit;
        return Load(options.Dataset, root, split, limit, options.ImageSize);
    }

    public static InMemoryImageDataset Load(DatasetName dataset, string root, Split split, int limit = 0, int imageSize = 0)
    {
        var prefix = split == Split.Train ? "train" : "t10k";
        var imagesPath = Locate(root, $"{prefix}-images-idx3-ubyte", dataset);
        var labelsPath = Locate(root, $"{prefix}-labels-idx1-ubyte", dataset);
        try
        {
            var images = IdxReader.Read(imagesPath, expectedDimensions: 3);
            var labels = IdxReader.Read(labelsPath, expectedDimensions: 1);
            if (images.Dimensions[0] != labels.Dimensions[0])
                throw new UserError($"{imagesPath} has {images.Dimensions[0]} images but {labelsPath} has {labels.Dimensions[0]} labels.",
                    $"delete {root} and run scripts/fetch-data.sh again.");
            long count = limit > 0 ? Math.Min(limit, images.Dimensions[0]) : images.Dimensions[0];
            int side = images.Dimensions[1];
            if (images.Dimensions[2] != side)
                throw new UserError($"{imagesPath} holds {side}x{images.Dimensions[2]} images; only square images are supported.", "use square images.");
            var pixelBytes = images.Data.AsSpan(0, checked((int)(count * side * side))).ToArray();
            var labelBytes = labels.Data.AsSpan(0, (int)count).ToArray();
            using var scope = NewDisposeScope();
            var pixels = tensor(pixelBytes, [count, 1, side, side], ScalarType.Byte);
            var labelTensor = tensor(labelBytes, [count], ScalarType.Byte);
            var (mean, std) = Statistics(dataset);
            var name = $"{NameConvention.ToSnakeCase(dataset.ToString())}/{prefix}";
            return new InMemoryImageDataset(name, pixels, labelTensor, classCount: 10, mean, std, imageSize);
        }
        catch (IdxFormatException e)
        {
            throw new UserError(e.Message, $"delete {root} and run scripts/fetch-data.sh to fetch a fresh copy.");
        }
    }

    static string Locate(string root, string name, DatasetName dataset)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(root, candidate);
            if (File.Exists(path)) return path;
        }
        throw new UserError($"{NameConvention.ToSnakeCase(dataset.ToString())} data not found: no {name}[.gz] in {Path.GetFullPath(root)}.",
            "run scripts/fetch-data.sh (or set data.root to the folder that holds the IDX files).");
    }
}
