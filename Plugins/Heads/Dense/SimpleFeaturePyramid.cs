using SdAE.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>
/// A plain ViT's single-scale features turned into four scales, as ViTDet, BEiT and MAE do for
/// dense heads: the patch tokens after four evenly spaced blocks, the first upsampled 4x (two 2x2
/// transposed convolutions), the second 2x, the third as it is and the last pooled 2x; each then
/// brought to <c>channels</c> by a 1x1 convolution with BatchNorm and ReLU. Outputs run finest
/// first: strides patch/4, patch/2, patch, 2 x patch.
/// </summary>
public sealed class SimpleFeaturePyramid : nn.Module<Tensor, Tensor[]>
{
    readonly EncoderModule encoder;
    readonly Sequential up4, up2;
    readonly MaxPool2d down2;
    readonly ModuleList<Sequential> lateral;
    readonly int[] blocks;

    public SimpleFeaturePyramid(EncoderModule encoder, int channels) : base(nameof(SimpleFeaturePyramid))
    {
        this.encoder = encoder;
        int width = encoder.Width, depth = encoder.Depth;
        blocks = Enumerable.Range(1, 4).Select(k => Math.Max(0, k * depth / 4 - 1)).ToArray();
        up4 = nn.Sequential(nn.ConvTranspose2d(width, width, 2, stride: 2), nn.BatchNorm2d(width), nn.GELU(), nn.ConvTranspose2d(width, width, 2, stride: 2));
        up2 = nn.Sequential(nn.ConvTranspose2d(width, width, 2, stride: 2));
        down2 = nn.MaxPool2d(2, 2);
        lateral = new ModuleList<Sequential>(Enumerable.Range(0, 4).Select(_ => ConvNormRelu(width, channels, 1)).ToArray());
        RegisterComponents();
    }

    public EncoderModule Encoder => encoder;

    /// <summary>Conv (no bias) + BatchNorm + ReLU, UperNet's ConvModule.</summary>
    public static Sequential ConvNormRelu(int input, int output, int kernel) =>
        nn.Sequential(nn.Conv2d(input, output, kernel, padding: kernel / 2, bias: false), nn.BatchNorm2d(output), nn.ReLU());

    public override Tensor[] forward(Tensor images)
    {
        var maps = encoder.DenseFeatures(images, blocks);
        var scaled = new[] { up4.forward(maps[0]), up2.forward(maps[1]), maps[2], down2.forward(maps[3]) };
        return scaled.Select((map, level) => lateral[level].forward(map)).ToArray();
    }
}
