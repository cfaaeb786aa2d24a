using SdAE.Abstractions.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// Images kept as uint8 [N, C, H, W] on the CPU; batches are converted to float, resized if asked,
/// and normalised on the way out. Owns its tensors.
/// </summary>
public sealed class InMemoryImageDataset : IImageDataset, IDisposable
{
    readonly Tensor pixels;
    readonly Tensor mean;
    readonly Tensor std;
    readonly int outputSize;

    public InMemoryImageDataset(string name, Tensor pixels, Tensor labels, int classCount, float[] mean, float[] std, int imageSize = 0)
    {
        if (pixels.dtype != ScalarType.Byte || pixels.dim() != 4)
            throw new ArgumentException("pixels must be uint8 [N, C, H, W]");
        if (pixels.shape[2] != pixels.shape[3])
            throw new ArgumentException("images must be square");
        if (labels.shape[0] != pixels.shape[0])
            throw new ArgumentException($"{pixels.shape[0]} images but {labels.shape[0]} labels");
        Name = name;
        this.pixels = pixels.DetachFromDisposeScope();
        Labels = labels.to_type(ScalarType.Int64).DetachFromDisposeScope();
        ClassCount = classCount;
        Normalization = (mean, std);
        this.mean = tensor(mean).view(1, -1, 1, 1).DetachFromDisposeScope();
        this.std = tensor(std).view(1, -1, 1, 1).DetachFromDisposeScope();
        outputSize = imageSize > 0 ? imageSize : (int)pixels.shape[2];
    }

    public string Name { get; }
    public long Count => pixels.shape[0];
    public int Channels => (int)pixels.shape[1];
    public int ImageSize => outputSize;
    public int ClassCount { get; }
    public Tensor Labels { get; }
    public (float[] Mean, float[] Std) Normalization { get; }

    public Tensor Images(Tensor indices)
    {
        using var scope = NewDisposeScope();
        var batch = pixels.index_select(0, indices).to_type(ScalarType.Float32).div_(255f);
        if (outputSize != pixels.shape[2])
            batch = nn.functional.interpolate(batch, [outputSize, outputSize], mode: InterpolationMode.Bilinear, align_corners: false);
        return batch.sub_(mean).div_(std).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        pixels.Dispose();
        Labels.Dispose();
        mean.Dispose();
        std.Dispose();
    }
}
