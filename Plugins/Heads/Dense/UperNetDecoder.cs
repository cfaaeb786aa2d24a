using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>
/// UperNet's decoder (Xiao et al., 2018) over four pyramid levels of equal channels, finest first:
/// pyramid pooling on the coarsest level (average pools to 1, 2 and 4 cells, each 1x1 conv,
/// upsampled back, concatenated, 3x3 conv), a top-down path adding each coarser level upsampled to
/// the next finer, a 3x3 conv per level, all levels upsampled to the finest and fused by a 3x3 conv,
/// then a 1x1 classifier: logits at the finest level's size.
/// </summary>
public sealed class UperNetDecoder : nn.Module<Tensor[], Tensor>
{
    static readonly int[] PoolCells = [1, 2, 4];

    readonly ModuleList<Sequential> pooled;
    readonly Sequential bottleneck, fuse;
    readonly ModuleList<Sequential> smooth;
    readonly Dropout2d dropout;
    readonly Conv2d classifier;

    public UperNetDecoder(int channels, int classes) : base(nameof(UperNetDecoder))
    {
        pooled = new ModuleList<Sequential>(PoolCells.Select(_ => SimpleFeaturePyramid.ConvNormRelu(channels, channels, 1)).ToArray());
        bottleneck = SimpleFeaturePyramid.ConvNormRelu(channels * (1 + PoolCells.Length), channels, 3);
        smooth = new ModuleList<Sequential>(Enumerable.Range(0, 3).Select(_ => SimpleFeaturePyramid.ConvNormRelu(channels, channels, 3)).ToArray());
        fuse = SimpleFeaturePyramid.ConvNormRelu(channels * 4, channels, 3);
        dropout = nn.Dropout2d(0.1);
        classifier = nn.Conv2d(channels, classes, 1);
        RegisterComponents();
    }

    static Tensor Resize(Tensor map, Tensor like) =>
        nn.functional.interpolate(map, [like.shape[2], like.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);

    public override Tensor forward(Tensor[] levels)
    {
        var top = levels[3];
        var pyramid = new List<Tensor> { top };
        for (int i = 0; i < PoolCells.Length; i++)
            pyramid.Add(Resize(pooled[i].forward(nn.functional.adaptive_avg_pool2d(top, [PoolCells[i], PoolCells[i]])), top));
        var laterals = new Tensor[4];
        laterals[3] = bottleneck.forward(cat(pyramid, 1));
        for (int level = 2; level >= 0; level--) laterals[level] = levels[level] + Resize(laterals[level + 1], levels[level]);
        var outputs = new List<Tensor>();
        for (int level = 0; level < 3; level++) outputs.Add(smooth[level].forward(laterals[level]));
        outputs.Add(laterals[3]);
        var fused = fuse.forward(cat(outputs.Select(o => Resize(o, outputs[0])).ToList(), 1));
        return classifier.forward(dropout.forward(fused));
    }
}
