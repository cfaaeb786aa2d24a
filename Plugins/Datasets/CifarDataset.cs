using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Data;

namespace SdAE.Plugins.Datasets;

public enum CifarLabels
{
    Fine,
    Coarse,
}

public sealed class CifarOptions
{
    [Required, Description("Folder with the binary version: data_batch_{1..5}.bin and test_batch.bin (CIFAR-10) or train.bin and test.bin (CIFAR-100); the extracted cifar-10-batches-bin / cifar-100-binary folder inside it is found too.")]
    public string Root { get; set; } = "";

    [Description("CIFAR-100 only: the 100 fine classes or the 20 coarse superclasses.")]
    public CifarLabels Labels { get; set; } = CifarLabels.Fine;
}

/// <summary>
/// Plugin `cifar`: the CIFAR-10 and CIFAR-100 binary formats (32x32 RGB). Each record is its
/// label byte(s) and 3,072 pixel bytes, red plane then green then blue, which is already channel-major.
/// </summary>
public sealed class CifarDataset(CifarOptions options) : IDatasetSource
{
    const int Side = 32, ImageBytes = 3 * Side * Side;

    sealed record Variant(string Name, string[] TrainFiles, string TestFile, int LabelBytes, string NamesFile, int ClassCount,
        (float[] Mean, float[] Std) Normalization);

    static readonly Variant Cifar10 = new("cifar10", [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")], "test_batch.bin", 1,
        "batches.meta.txt", 10, ([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]));
    static readonly Variant Cifar100 = new("cifar100", ["train.bin"], "test.bin", 2, "fine_label_names.txt", 100,
        ([0.5071f, 0.4865f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]));

    public IImageSource Open(DataSplit split, DataRequest request)
    {
        var (folder, variant) = Locate();
        int labelIndex = variant == Cifar100 && options.Labels == CifarLabels.Fine ? 1 : 0;
        int classCount = variant == Cifar100 && options.Labels == CifarLabels.Coarse ? 20 : variant.ClassCount;
        var files = split == DataSplit.Train ? variant.TrainFiles : [variant.TestFile];
        int recordBytes = variant.LabelBytes + ImageBytes;
        var pixels = new List<byte>();
        var labels = new List<int>();
        foreach (var file in files.Select(f => Path.Combine(folder, f)))
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0 || bytes.Length % recordBytes != 0)
                throw new DataSourceException($"{file} is {bytes.Length:N0} bytes, not a whole number of {variant.Name} records ({recordBytes} bytes each); the file is truncated or not {variant.Name}.",
                    "download the binary version again and extract it whole.");
            for (int offset = 0; offset < bytes.Length; offset += recordBytes)
            {
                int label = bytes[offset + labelIndex];
                if (label >= classCount)
                    throw new DataSourceException($"{file}: record {offset / recordBytes} has label {label}, but {variant.Name} has {classCount} classes.",
                        "download the binary version again.");
                labels.Add(label);
                pixels.AddRange(bytes.AsSpan(offset + variant.LabelBytes, ImageBytes));
            }
        }
        var names = ClassNames(folder, variant, classCount);
        var name = $"{variant.Name}/{(split == DataSplit.Train ? "train" : "test")}";
        return new InMemoryImageSource(name, [.. pixels], 3, Side, [.. labels], names, variant.Normalization);
    }

    (string Folder, Variant Variant) Locate()
    {
        var root = options.Root;
        foreach (var folder in new[] { root, Path.Combine(root, "cifar-10-batches-bin"), Path.Combine(root, "cifar-100-binary") })
            foreach (var variant in new[] { Cifar10, Cifar100 })
                if (variant.TrainFiles.Append(variant.TestFile).All(f => File.Exists(Path.Combine(folder, f))))
                    return (folder, variant);
        throw new DataSourceException($"no CIFAR binary files in {Path.GetFullPath(root)}: CIFAR-10 needs data_batch_1.bin ... data_batch_5.bin and test_batch.bin, CIFAR-100 train.bin and test.bin.",
            "download the binary version (cifar-10-binary.tar.gz or cifar-100-binary.tar.gz), extract it, and set data.root to that folder.");
    }

    static string[] ClassNames(string folder, Variant variant, int classCount)
    {
        var file = variant == Cifar100 && classCount == 20 ? "coarse_label_names.txt" : variant.NamesFile;
        var path = Path.Combine(folder, file);
        var names = File.Exists(path) ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray() : [];
        return names.Length == classCount ? names : [.. Enumerable.Range(0, classCount).Select(i => i.ToString())];
    }
}
