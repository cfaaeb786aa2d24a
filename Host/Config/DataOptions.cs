using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Options;

namespace SdAE.Host.Config;

public enum DatasetName
{
    FashionMnist,
    Mnist,
}

public sealed class DataOptions
{
    [Description("fashion_mnist | mnist")]
    public DatasetName Dataset { get; set; } = DatasetName.FashionMnist;

    [Description("Folder with the IDX files; default data/<dataset> (see scripts/fetch-data.sh).")]
    public string? Root { get; set; }

    [Range(0, 1024), Description("Resize images to this side (bilinear); 0 keeps the native size.")]
    public int ImageSize { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N training images; 0 uses all.")]
    public int TrainLimit { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N test images; 0 uses all.")]
    public int TestLimit { get; set; }

    public AugmentOptions Augment { get; set; } = new();

    [Range(-1, 64), Description("Batches prepared ahead on a background thread; 0 prepares each batch in the loop; -1: 2 on CUDA, 0 on CPU (where the thread only competes for cores).")]
    public int Prefetch { get; set; } = -1;

    public int PrefetchFor(TorchSharp.torch.Device device) => Prefetch >= 0 ? Prefetch : device.type == TorchSharp.DeviceType.CUDA ? 2 : 0;
}

public sealed class AugmentOptions : IValidatableOptions
{
    [Range(0.01, 1.0), Description("Random-resized-crop area range; [1, 1] disables cropping.")]
    public double[] CropScale { get; set; } = [0.2, 1.0];

    [Range(0.1, 10.0), Description("Random-resized-crop aspect-ratio range.")]
    public double[] CropRatio { get; set; } = [3.0 / 4.0, 4.0 / 3.0];

    [Description("Random horizontal flip.")]
    public bool Flip { get; set; } = true;

    public IEnumerable<OptionError> Validate()
    {
        if (CropScale.Length != 2 || CropScale[0] > CropScale[1])
            yield return new("crop_scale", "needs two values [low, high] with low <= high, e.g. [0.2, 1.0].");
        if (CropRatio.Length != 2 || CropRatio[0] > CropRatio[1])
            yield return new("crop_ratio", "needs two values [low, high] with low <= high, e.g. [0.75, 1.333].");
    }
}
