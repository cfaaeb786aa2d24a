using SdAE.Abstractions.Data;
using SdAE.Abstractions.Randomness;

namespace SdAE.Plugins.Datasets;

/// <summary>The image files of a folder split and their labels (index into the class list; -1 when unlabelled).</summary>
public sealed record FolderSplit(string Folder, string[] Files, int[] Labels);

/// <summary>
/// Reads a folder layout: `root/&lt;class&gt;/...` (labelled, classes are the sorted sub-folder names),
/// a flat folder of images (unlabelled), or ImageNet's `root/train/&lt;class&gt;` with `root/val/&lt;class&gt;`.
/// Without a validation folder, <c>val_fraction</c> of each class is held out, chosen by a seeded shuffle.
/// </summary>
public sealed class FolderListing
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    public required string[] ClassNames { get; init; }
    public required FolderSplit Train { get; init; }
    public FolderSplit? Test { get; init; }

    public static FolderListing Read(string root, ImageFolderOptions options, Action<string>? warn = null)
    {
        var walk = new FolderWalk(warn ?? (_ => { }));
        if (!Directory.Exists(root))
            throw new DataSourceException($"image folder not found: {root}", "set data.root to a folder of images (or of class sub-folders).");
        var trainFolder = Path.Combine(root, "train");
        var valFolder = new[] { "val", "test" }.Select(n => Path.Combine(root, n)).FirstOrDefault(Directory.Exists);
        bool imageNetLayout = Directory.Exists(trainFolder) && valFolder is not null;
        if (!imageNetLayout) trainFolder = root;

        var (classes, train) = List(walk, trainFolder, options.Unlabelled, knownClasses: null);
        FolderSplit? test = null;
        if (imageNetLayout)
        {
            (_, test) = List(walk, valFolder!, options.Unlabelled, classes);
        }
        else if (options.ValFraction > 0)
        {
            (train, test) = HoldOut(train, classes, options.ValFraction, options.SplitSeed);
        }
        return new FolderListing { ClassNames = classes, Train = train, Test = test };
    }

    static (string[] Classes, FolderSplit Split) List(FolderWalk walk, string folder, bool unlabelled, string[]? knownClasses)
    {
        var subfolders = Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        if (unlabelled || subfolders.Length == 0)
        {
            var all = walk.Images(folder, recursive: unlabelled);
            if (all.Length == 0) throw NoImages(folder);
            return ([], new FolderSplit(folder, all, [.. all.Select(_ => -1)]));
        }
        var classes = knownClasses ?? [.. subfolders.Select(Path.GetFileName).Cast<string>()];
        var files = new List<string>();
        var labels = new List<int>();
        foreach (var subfolder in subfolders)
        {
            int label = Array.IndexOf(classes, Path.GetFileName(subfolder));
            if (label < 0)
                throw new DataSourceException($"{subfolder} is a class the training folder does not have (its classes: {string.Join(", ", classes.Take(5))}{(classes.Length > 5 ? ", ..." : "")}).",
                    "use the same class folder names in train/ and val/.");
            var images = walk.Images(subfolder, recursive: true);
            if (images.Length == 0)
                throw new DataSourceException($"class folder {subfolder} has no images ({string.Join(", ", Extensions)}).", "add images to it or remove the folder.");
            files.AddRange(images);
            labels.AddRange(images.Select(_ => label));
        }
        return (classes, new FolderSplit(folder, [.. files], [.. labels]));
    }

    /// <summary>Whether a file name is an image the listing takes (by extension; hidden files are not).</summary>
    public static bool IsImage(string file) =>
        Extensions.Contains(Path.GetExtension(file).ToLowerInvariant()) && !Path.GetFileName(file).StartsWith('.');

    static DataSourceException NoImages(string folder) =>
        new($"no images ({string.Join(", ", Extensions)}) in {folder}.", "point data.root at a folder of images, or of class sub-folders of images.");

    /// <summary>Holds out <paramref name="fraction"/> of each class (at least one image where a class has two or more), by a seeded shuffle.</summary>
    static (FolderSplit Train, FolderSplit Test) HoldOut(FolderSplit all, string[] classes, double fraction, int seed)
    {
        var held = new bool[all.Files.Length];
        foreach (var group in Enumerable.Range(0, all.Files.Length).GroupBy(i => all.Labels[i]))
        {
            var members = group.ToArray();
            // by the class name, not its index, so adding a class folder leaves the other classes' splits as they were
            Seeding.Random(seed, RandomStream.HeldOutSplit, Seeding.StableHash(group.Key < 0 ? "" : classes[group.Key])).Shuffle(members);
            int count = members.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(members.Length * fraction));
            foreach (var i in members.Take(count)) held[i] = true;
        }
        FolderSplit Pick(bool test)
        {
            var chosen = Enumerable.Range(0, held.Length).Where(i => held[i] == test).ToArray();
            return all with { Files = [.. chosen.Select(i => all.Files[i])], Labels = [.. chosen.Select(i => all.Labels[i])] };
        }
        return (Pick(false), Pick(true));
    }
}
