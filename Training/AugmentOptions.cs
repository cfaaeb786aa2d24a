using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Options;

namespace SdAE.Training;

/// <summary>Random-resized-crop and flip settings: the pre-training data's (`data.augment`) and the fine-tuning heads' (`augment`).</summary>
public sealed class AugmentOptions : IValidatableOptions
{
    [Range(0.01, 1.0), Description("Random-resized-crop area range; [1, 1] disables cropping.")]
    public double[] CropScale { get; set; } = [0.2, 1.0];

    [Range(0.1, 10.0), Description("Random-resized-crop aspect-ratio range.")]
    public double[] CropRatio { get; set; } = [3.0 / 4.0, 4.0 / 3.0];

    [Description("Random horizontal flip.")]
    public bool Flip { get; set; } = true;

    /// <summary>No crop, no flip: the images as they are.</summary>
    public static AugmentOptions Off() => new() { CropScale = [1.0, 1.0], Flip = false };

    public IEnumerable<OptionError> Validate()
    {
        if (CropScale.Length != 2 || CropScale[0] > CropScale[1])
            yield return new("crop_scale", "needs two values [low, high] with low <= high, e.g. [0.2, 1.0].");
        if (CropRatio.Length != 2 || CropRatio[0] > CropRatio[1])
            yield return new("crop_ratio", "needs two values [low, high] with low <= high, e.g. [0.75, 1.333].");
    }
}
