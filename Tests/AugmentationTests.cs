using SdAE.Training;
using SdAE.Host.Config;
using SdAE.Host.Data;
using static TorchSharp.torch;

using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class AugmentationTests
{
    [Test]
    public void SameSeedSameImagesDifferentSeedDifferentImages()
    {
        var augmentation = new Augmentation(new AugmentOptions());
        using var images = randn(4, 1, 28, 28, generator: new Generator(0));
        using var a = augmentation.Apply(images, new Random(5));
        using var b = augmentation.Apply(images, new Random(5));
        using var c = augmentation.Apply(images, new Random(6));
        Assert.That(Same(a, b), Is.True);
        Assert.That(Same(a, c), Is.False);
        Assert.That(a.shape, Is.EqualTo(images.shape));
    }

    [Test]
    public void CropsStayInsideTheImageAndWithinTheAreaRange()
    {
        var augmentation = new Augmentation(new AugmentOptions { CropScale = [0.2, 1.0] });
        var random = new Random(1);
        for (int i = 0; i < 500; i++)
        {
            var (top, left, height, width) = augmentation.SampleCrop(28, 28, random);
            Assert.That(top >= 0 && left >= 0 && top + height <= 28 && left + width <= 28);
            double area = height * width / (28.0 * 28.0);
            Assert.That(area, Is.InRange(0.15, 1.0));
        }
    }

    [Test]
    public void DisabledAugmentationIsTheIdentity()
    {
        var augmentation = new Augmentation(new AugmentOptions { CropScale = [1.0, 1.0], Flip = false });
        using var images = randn(2, 1, 28, 28);
        Assert.That(ReferenceEquals(augmentation.Apply(images, new Random(0)), images));
    }

    [Test]
    public void FullCropWithFlipMirrorsTheImage()
    {
        var augmentation = new Augmentation(new AugmentOptions { CropScale = [1.0, 1.0], Flip = true });
        using var images = arange(16f).view(1, 1, 4, 4);
        // Try seeds until one flips; the flipped output must equal torch.flip along the width.
        for (int seed = 0; seed < 10; seed++)
        {
            using var output = augmentation.Apply(images, new Random(seed));
            if (Same(output, images)) continue;
            Assert.That(output.allclose(images.flip(3), atol: 1e-4), Is.True);
            return;
        }
        Assert.Fail("no flip in 10 seeds");
    }
}
