using SdAE.Training;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Options;

namespace SdAE.Host.Config;

/// <summary>
/// The keys of a `data` (or `eval_data`) section the host reads itself; `type:` picks the dataset
/// plugin, whose own options (root, ...) share the section.
/// </summary>
public sealed class DataOptions : IValidatableOptions
{
    [Range(0, 1024), Description("Train at this square side: images are decoded (or resized) to it; 0 keeps the images' own size.")]
    public int ImageSize { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N training images; 0 uses all.")]
    public int TrainLimit { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N test images; 0 uses all.")]
    public int TestLimit { get; set; }

    [Description("Per-channel mean of pixel values in [0, 1]; empty: the set's published value, else computed over the training split once and cached.")]
    public float[] Mean { get; set; } = [];

    [Description("Per-channel std, given with mean.")]
    public float[] Std { get; set; } = [];

    public AugmentOptions Augment { get; set; } = new();

    [Range(-1, 64), Description("Batches prepared ahead on a background thread; 0 prepares each batch in the loop; -1: 2 on CUDA, 0 on CPU (where the thread only competes for cores).")]
    public int Prefetch { get; set; } = -1;

    [Range(0, 256), Description("Threads decoding images into the cache; 0: one per core.")]
    public int Workers { get; set; }

    [Description("Folder for decoded-image caches; empty: <output>/.cache/data.")]
    public string CacheDir { get; set; } = "";

    [Range(0.0, 1.0), Description("Fraction of images that may be skipped as unreadable (each is named in a warning); more stops the run.")]
    public double MaxUnreadable { get; set; } = 0.01;

    public int PrefetchFor(TorchSharp.torch.Device device) => Prefetch >= 0 ? Prefetch : device.type == TorchSharp.DeviceType.CUDA ? 2 : 0;

    /// <summary>A copy at another image size (eval_data follows data's size unless it sets its own).</summary>
    public DataOptions WithImageSize(int imageSize)
    {
        var copy = (DataOptions)MemberwiseClone();
        copy.ImageSize = imageSize;
        return copy;
    }

    public int WorkerCount => Workers > 0 ? Workers : Environment.ProcessorCount;

    public IEnumerable<OptionError> Validate()
    {
        if (Mean.Length != Std.Length)
            yield return new("std", $"needs as many values as mean ({Mean.Length}), e.g. mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25].");
        if (Std.Any(s => s <= 0))
            yield return new("std", "values must be positive.");
    }
}
