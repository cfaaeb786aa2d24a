using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>
/// MAE's augmentation on a batch: random-resized-crop (area and aspect ranges as torchvision's
/// RandomResizedCrop) and horizontal flip, done for the whole batch in one affine_grid +
/// grid_sample. Crop boxes are drawn from a seeded <see cref="Random"/>, so a seed gives the same crops.
/// </summary>
public sealed class Augmentation(AugmentOptions options)
{
    public bool IsIdentity => options.CropScale[0] >= 1.0 && !options.Flip;

    public Tensor Apply(Tensor images, Random random)
    {
        if (IsIdentity) return images;
        long batch = images.shape[0];
        int size = (int)images.shape[2];
        var theta = new float[batch * 6];
        for (int b = 0; b < batch; b++)
        {
            var (top, left, height, width) = SampleCrop(size, size, random);
            bool flip = options.Flip && random.NextDouble() < 0.5;
            // affine_grid maps output coords in [-1, 1] to input coords: scale to the box, move to its centre.
            theta[b * 6 + 0] = (float)width / size * (flip ? -1 : 1);
            theta[b * 6 + 2] = (float)(2.0 * (left + width / 2.0) / size - 1.0);
            theta[b * 6 + 4] = (float)height / size;
            theta[b * 6 + 5] = (float)(2.0 * (top + height / 2.0) / size - 1.0);
        }
        using var scope = NewDisposeScope();
        var affine = tensor(theta, [batch, 2, 3]).to(images.device);
        var grid = nn.functional.affine_grid(affine, [batch, images.shape[1], size, size], align_corners: false);
        return nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Draws from <paramref name="random"/> exactly what <see cref="Apply"/> would for <paramref name="batch"/> images of side <paramref name="size"/>, without touching pixels (resuming mid-epoch).</summary>
    public void Skip(long batch, int size, Random random)
    {
        if (IsIdentity) return;
        for (long b = 0; b < batch; b++)
        {
            SampleCrop(size, size, random);
            if (options.Flip) random.NextDouble();
        }
    }

    /// <summary>A crop box (top, left, height, width) in pixels, as torchvision's RandomResizedCrop draws it.</summary>
    public (int Top, int Left, int Height, int Width) SampleCrop(int imageHeight, int imageWidth, Random random)
    {
        double area = imageHeight * imageWidth;
        double logLow = Math.Log(options.CropRatio[0]), logHigh = Math.Log(options.CropRatio[1]);
        if (options.CropScale[0] < 1.0)
        {
            for (int attempt = 0; attempt < 10; attempt++)
            {
                double targetArea = area * Uniform(random, options.CropScale[0], options.CropScale[1]);
                double aspect = Math.Exp(Uniform(random, logLow, logHigh));
                int width = (int)Math.Round(Math.Sqrt(targetArea * aspect));
                int height = (int)Math.Round(Math.Sqrt(targetArea / aspect));
                if (width > 0 && width <= imageWidth && height > 0 && height <= imageHeight)
                    return (random.Next(imageHeight - height + 1), random.Next(imageWidth - width + 1), height, width);
            }
        }
        return (0, 0, imageHeight, imageWidth);
    }

    static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();
}
