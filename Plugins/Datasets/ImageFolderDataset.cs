using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Options;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Datasets;

public sealed class ImageFolderOptions : IValidatableOptions
{
    [Required, Description("Folder of images: <class>/ sub-folders (labelled), plain images (unlabelled), or ImageNet's train/ and val/ of class folders. A leading ~ is your home folder.")]
    public string Root { get; set; } = "";

    [Description("How a non-square image becomes square at data.image_size.")]
    public SquareFit Fit { get; set; } = SquareFit.Crop;

    [Range(1, 3), Description("3: RGB; 1: grayscale (luma).")]
    public int Channels { get; set; } = 3;

    [Range(0.0, 0.9), Description("Without a val/ folder: hold out this fraction of each class as the test split (0: no test split).")]
    public double ValFraction { get; set; }

    [Description("Seeds the held-out choice; the same seed gives the same split in every run.")]
    public int SplitSeed { get; set; }

    [Description("Read every image under root, sub-folders included, without labels (sub-folders are not classes).")]
    public bool Unlabelled { get; set; }

    public IEnumerable<OptionError> Validate()
    {
        if (Channels == 2) yield return new("channels", "must be 1 (grayscale) or 3 (RGB).");
    }
}

/// <summary>Plugin `image_folder`: a folder of PNG/JPEG/BMP/WebP images of any size, decoded with SkiaSharp.</summary>
public sealed class ImageFolderDataset : IDatasetSource
{
    readonly ImageFolderOptions options;
    readonly string root;
    readonly Lazy<FolderListing> listing;

    public ImageFolderDataset(ImageFolderOptions options, PluginContext? context = null)
    {
        this.options = options;
        root = options.Root.Length == 0 ? "" : ExpandRoot(options.Root);
        var progress = context?.Progress ?? NullProgressReporter.Instance;
        listing = new(() => FolderListing.Read(root, options, progress.Info));
    }

    public IImageSource? Open(DataSplit split, DataRequest request)
    {
        var chosen = split == DataSplit.Train ? listing.Value.Train : listing.Value.Test;
        if (chosen is null) return null;
        int size = request.ImageSize > 0 ? request.ImageSize : NativeSize(chosen);
        var name = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(root))}/{split.ToString().ToLowerInvariant()}";
        return new FolderImageSource(name, chosen, listing.Value.ClassNames, size, options, request.ImageSize == 0, CacheKey(chosen, size));
    }

    /// <summary>
    /// Without data.image_size the images' own size is used, so they must all be square and the same
    /// size: the first readable image's. Unreadable files are left to decoding, which skips them with a
    /// warning each up to data.max_unreadable, as it does with data.image_size set.
    /// </summary>
    static int NativeSize(FolderSplit split)
    {
        UnreadableImageException? firstProblem = null;
        foreach (var file in split.Files)
        {
            try
            {
                var size = ImageDecoder.Dimensions(file);
                if (size.Width != size.Height)
                    throw new DataSourceException($"{file} is {size.Width}x{size.Height}, not square, and data.image_size is not set.",
                        "set data.image_size (images are then resized and cropped to it).");
                return size.Width;
            }
            catch (UnreadableImageException e)
            {
                firstProblem ??= e;
            }
        }
        throw new DataSourceException($"none of the {split.Files.Length} images in {split.Folder} can be read (e.g. {firstProblem!.Message}).",
            "remove or replace the broken files.");
    }

    string CacheKey(FolderSplit split, int size)
    {
        var text = new StringBuilder($"image_folder v1|{size}|{options.Fit}|{options.Channels}\n");
        foreach (var file in split.Files)
        {
            var info = new FileInfo(file);
            text.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The root with a leading ~ replaced by the home folder, made absolute.</summary>
    public static string ExpandRoot(string root) =>
        Path.GetFullPath(root.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + root[1..] : root);
}

/// <summary>One split of an image folder; decodes a file per <see cref="Read"/>.</summary>
public sealed class FolderImageSource(string name, FolderSplit split, string[] classNames, int size, ImageFolderOptions options,
    bool sizesMustMatch, string cacheKey) : IImageSource
{
    public string Name => name;
    public int Count => split.Files.Length;
    public int Channels => options.Channels;
    public int Size => size;
    public IReadOnlyList<string> ClassNames => classNames;
    public IReadOnlyList<int> Labels => classNames.Length == 0 ? [] : split.Labels;
    public (float[] Mean, float[] Std)? KnownNormalization => null;
    public string? CacheKey => cacheKey;

    public void Read(int index, Span<byte> destination)
    {
        var path = split.Files[index];
        var dimensions = ImageDecoder.Decode(path, size, options.Fit, options.Channels, destination);
        if (sizesMustMatch && (dimensions.Width != size || dimensions.Height != size))
            throw new DataSourceException($"images of different sizes: {path} is {dimensions.Width}x{dimensions.Height}, {split.Files[0]} is {size}x{size}.",
                "set data.image_size so every image is resized to it.");
    }

    public void Dispose() { }
}
