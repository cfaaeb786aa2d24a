using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Targets;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// A few test images, the mask drawn for them and the model's reconstruction (CPU tensors), for a
/// picture written after training. Only targets that predict pixels have one.
/// </summary>
public sealed class ReconstructionSample(Tensor images, Tensor mask, Tensor reconstruction, int patch, (float[] Mean, float[] Std) normalization) : IDisposable
{
    public Tensor Images { get; } = images;
    /// <summary>bool [B, L]: true where the patch was hidden.</summary>
    public Tensor Mask { get; } = mask;
    public Tensor Reconstruction { get; } = reconstruction;
    public int Patch { get; } = patch;
    public (float[] Mean, float[] Std) Normalization { get; } = normalization;

    /// <summary>The first `reconstruction_images` test images through the model in eval mode, with a mask seeded from the experiment; null when the target has no pixels to show.</summary>
    public static ReconstructionSample? Draw(PretrainingModel model, Data.StoredImageDataset test, int imageCount, int seed, Device device)
    {
        int count = (int)Math.Min(imageCount, test.Count);
        if (count == 0 || model.Target is not IPixelReconstruction pixels) return null;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.Train(false);
        var (images, plan) = model.FixedBatch(test, count, seed, RandomStream.PictureMask, device);
        var output = model.Forward(images, plan);
        var reconstruction = pixels.Reconstruct(output.Prediction, images, plan);
        return new ReconstructionSample(images.cpu().DetachFromDisposeScope(), plan.Mask.cpu().DetachFromDisposeScope(),
            reconstruction.detach().cpu().DetachFromDisposeScope(), model.Encoder.PatchSize, test.Normalization);
    }

    public void Dispose()
    {
        Images.Dispose();
        Mask.Dispose();
        Reconstruction.Dispose();
    }
}
