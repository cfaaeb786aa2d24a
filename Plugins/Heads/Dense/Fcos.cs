using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>Ground truth of a batch of canvases, padded to the most boxes any canvas has.</summary>
/// <param name="Boxes">float [B, G, 4] (x0, y0, x1, y1) in pixels.</param>
/// <param name="Classes">int64 [B, G].</param>
/// <param name="Valid">bool [B, G]: false for padding.</param>
public sealed record BoxTargets(Tensor Boxes, Tensor Classes, Tensor Valid)
{
    public static BoxTargets Of(IReadOnlyList<IReadOnlyList<PlacedItem>> canvases, Device device)
    {
        int most = Math.Max(1, canvases.Max(c => c.Count));
        var boxes = new float[canvases.Count * most * 4];
        var classes = new long[canvases.Count * most];
        var valid = new bool[canvases.Count * most];
        for (int b = 0; b < canvases.Count; b++)
            for (int g = 0; g < canvases[b].Count; g++)
            {
                var item = canvases[b][g];
                int at = b * most + g;
                (boxes[4 * at], boxes[4 * at + 1], boxes[4 * at + 2], boxes[4 * at + 3]) = (item.X0, item.Y0, item.X1, item.Y1);
                classes[at] = item.Class;
                valid[at] = true;
            }
        return new BoxTargets(tensor(boxes, [canvases.Count, most, 4]).to(device), tensor(classes, [canvases.Count, most]).to(device),
            tensor(valid, [canvases.Count, most]).to(device));
    }
}

/// <summary>
/// FCOS (Tian et al., 2019) on one feature level: per location, class logits (sigmoid, one per
/// class), distances to the four box sides (exp, in strides) and a centre-ness logit, from two
/// towers of two 3x3 conv + BatchNorm + ReLU each. Training: a location is positive for the
/// smallest box that contains it within <c>radius</c> strides of the box centre (centre sampling);
/// focal loss over all locations, GIoU loss weighted by the centre-ness target and centre-ness BCE
/// over the positives. Inference: score sqrt(class x centre-ness), threshold, class-wise NMS.
/// </summary>
public sealed class Fcos : nn.Module<Tensor, (Tensor Classes, Tensor Distances, Tensor Centerness)>
{
    const double FocalAlpha = 0.25, FocalGamma = 2.0, PriorProbability = 0.01;

    readonly Sequential classTower, boxTower;
    readonly Conv2d classes, distances, centerness;
    readonly int stride;
    readonly double radius;

    public Fcos(int channels, int classCount, int stride, double radius) : base(nameof(Fcos))
    {
        this.stride = stride;
        this.radius = radius;
        classTower = nn.Sequential(SimpleFeaturePyramid.ConvNormRelu(channels, channels, 3), SimpleFeaturePyramid.ConvNormRelu(channels, channels, 3));
        boxTower = nn.Sequential(SimpleFeaturePyramid.ConvNormRelu(channels, channels, 3), SimpleFeaturePyramid.ConvNormRelu(channels, channels, 3));
        classes = nn.Conv2d(channels, classCount, 3, padding: 1);
        distances = nn.Conv2d(channels, 4, 3, padding: 1);
        centerness = nn.Conv2d(channels, 1, 3, padding: 1);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.constant_(classes.bias!, -Math.Log((1 - PriorProbability) / PriorProbability));   // rare foreground at the start, as FCOS
    }

    /// <summary>Per location, row-major: class logits [B, L, K], side distances in pixels [B, L, 4] (left, top, right, bottom), centre-ness logits [B, L].</summary>
    public override (Tensor Classes, Tensor Distances, Tensor Centerness) forward(Tensor features)
    {
        Tensor Flat(Tensor map) => map.flatten(2).transpose(1, 2);
        var box = boxTower.forward(features);
        return (Flat(classes.forward(classTower.forward(features))), Flat(distances.forward(box)).clamp_max(8).exp() * stride,
            Flat(centerness.forward(box)).squeeze(-1));
    }

    /// <summary>The centres of the locations of a rows x columns map, in pixels: [L, 2] (x, y), row-major.</summary>
    public Tensor Locations(long rows, long columns, Device device)
    {
        var y = (arange(rows, dtype: ScalarType.Float32, device: device) + 0.5f) * stride;
        var x = (arange(columns, dtype: ScalarType.Float32, device: device) + 0.5f) * stride;
        var grid = meshgrid([y, x], indexing: "ij");
        return stack([grid[1].reshape(-1), grid[0].reshape(-1)], 1);
    }

    public Tensor Loss((Tensor Classes, Tensor Distances, Tensor Centerness) output, Tensor locations, BoxTargets targets)
    {
        var (logits, sides, centernessLogits) = output;
        long batch = logits.shape[0], count = locations.shape[0], classCount = logits.shape[2];
        var x = locations.select(1, 0).view(1, count, 1);
        var y = locations.select(1, 1).view(1, count, 1);
        Tensor Side(int i) => targets.Boxes.select(2, i).unsqueeze(1);   // [B, 1, G]
        var (left, top, right, bottom) = (x - Side(0), y - Side(1), Side(2) - x, Side(3) - y);   // [B, L, G]
        var inside = minimum(minimum(left, right), minimum(top, bottom)) > 0;
        var nearCentre = ((x - (Side(0) + Side(2)) / 2).abs() < radius * stride).logical_and((y - (Side(1) + Side(3)) / 2).abs() < radius * stride);
        var candidate = inside.logical_and(nearCentre).logical_and(targets.Valid.unsqueeze(1));
        var area = ((Side(2) - Side(0)) * (Side(3) - Side(1))).expand(batch, count, -1);
        var (smallest, assigned) = where(candidate, area, full_like(area, float.PositiveInfinity)).min(2);
        var positive = smallest.isfinite();   // [B, L]
        long positives = Math.Max(1L, positive.sum().item<long>());

        var targetClass = targets.Classes.gather(1, assigned);
        var classTarget = nn.functional.one_hot(targetClass, classCount).to(ScalarType.Float32) * positive.unsqueeze(-1);
        var classLoss = FocalLoss(logits, classTarget).sum() / positives;

        var targetBox = targets.Boxes.gather(1, assigned.unsqueeze(-1).expand(-1, -1, 4))[positive];   // [P, 4]
        var centres = locations.unsqueeze(0).expand(batch, -1, -1)[positive];   // [P, 2]
        var predictedSides = sides[positive];
        var predictedBox = stack([centres.select(1, 0) - predictedSides.select(1, 0), centres.select(1, 1) - predictedSides.select(1, 1),
            centres.select(1, 0) + predictedSides.select(1, 2), centres.select(1, 1) + predictedSides.select(1, 3)], 1);
        var l = centres.select(1, 0) - targetBox.select(1, 0);
        var t = centres.select(1, 1) - targetBox.select(1, 1);
        var r = targetBox.select(1, 2) - centres.select(1, 0);
        var b = targetBox.select(1, 3) - centres.select(1, 1);
        var centernessTarget = (minimum(l, r) / maximum(l, r) * (minimum(t, b) / maximum(t, b))).sqrt();
        var boxLoss = (Boxes.GeneralizedIoULoss(predictedBox, targetBox) * centernessTarget).sum() / centernessTarget.sum().clamp_min(1e-6);
        var centernessLoss = nn.functional.binary_cross_entropy_with_logits(centernessLogits[positive], centernessTarget, reduction: nn.Reduction.Sum) / positives;
        return classLoss + boxLoss + centernessLoss;
    }

    /// <summary>Sigmoid focal loss (Lin et al., 2017) per element.</summary>
    static Tensor FocalLoss(Tensor logits, Tensor target)
    {
        var probability = logits.sigmoid();
        var crossEntropy = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction: nn.Reduction.None);
        var agreeing = probability * target + (1 - probability) * (1 - target);
        var weight = target * FocalAlpha + (1 - target) * (1 - FocalAlpha);
        return weight * (1 - agreeing).pow(FocalGamma) * crossEntropy;
    }

    /// <summary>One image's detections: locations scoring above <paramref name="threshold"/> (at most 1,000), clipped to the canvas, class-wise NMS, the best 100.</summary>
    public List<Box> Detect((Tensor Classes, Tensor Distances, Tensor Centerness) output, int image, Tensor locations, int size, double threshold, double nmsIoU)
    {
        using var scope = NewDisposeScope();
        var probability = output.Classes[image].sigmoid();   // [L, K]
        var score = (probability * output.Centerness[image].sigmoid().unsqueeze(1)).sqrt();
        var candidates = (probability > threshold).nonzero();   // [N, 2]: location, class
        if (candidates.shape[0] == 0) return [];
        var scores = score[candidates.select(1, 0), candidates.select(1, 1)];
        var top = scores.topk((int)Math.Min(1000, scores.shape[0])).indexes;
        var at = candidates.select(1, 0)[top];
        var sides = output.Distances[image][at];
        var centre = locations[at];
        var boxes = stack([centre.select(1, 0) - sides.select(1, 0), centre.select(1, 1) - sides.select(1, 1),
            centre.select(1, 0) + sides.select(1, 2), centre.select(1, 1) + sides.select(1, 3)], 1).clamp(0, size).cpu().data<float>().ToArray();
        var classOf = candidates.select(1, 1)[top].cpu().data<long>().ToArray();
        var scoreOf = scores[top].cpu().data<float>().ToArray();
        var found = Enumerable.Range(0, classOf.Length).Select(i => new Box(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], (int)classOf[i], scoreOf[i]));
        return Boxes.NonMaximumSuppression(found, nmsIoU, CocoAveragePrecision.MaxDetections);
    }
}
