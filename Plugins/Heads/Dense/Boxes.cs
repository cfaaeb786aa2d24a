using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>An axis-aligned box in pixels (x0, y0 top-left; x1, y1 bottom-right, exclusive) with a class and, for a detection, a score.</summary>
public readonly record struct Box(double X0, double Y0, double X1, double Y1, int Class, double Score = 1)
{
    public double Area => Math.Max(0, X1 - X0) * Math.Max(0, Y1 - Y0);

    public static double IoU(Box a, Box b)
    {
        double width = Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0), height = Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0);
        if (width <= 0 || height <= 0) return 0;
        double intersection = width * height;
        return intersection / (a.Area + b.Area - intersection);
    }
}

/// <summary>Box operations on tensors and lists: generalised IoU loss for training, non-maximum suppression for inference.</summary>
public static class Boxes
{
    /// <summary>1 - GIoU of box tensors [N, 4] (x0, y0, x1, y1) against targets [N, 4]: [N] (Rezatofighi et al., 2019).</summary>
    public static Tensor GeneralizedIoULoss(Tensor predicted, Tensor target)
    {
        Tensor X0(Tensor t) => t.select(1, 0);
        Tensor Y0(Tensor t) => t.select(1, 1);
        Tensor X1(Tensor t) => t.select(1, 2);
        Tensor Y1(Tensor t) => t.select(1, 3);
        var predictedArea = (X1(predicted) - X0(predicted)).clamp_min(0) * (Y1(predicted) - Y0(predicted)).clamp_min(0);
        var targetArea = (X1(target) - X0(target)) * (Y1(target) - Y0(target));
        var intersection = (minimum(X1(predicted), X1(target)) - maximum(X0(predicted), X0(target))).clamp_min(0)
            * (minimum(Y1(predicted), Y1(target)) - maximum(Y0(predicted), Y0(target))).clamp_min(0);
        var union = predictedArea + targetArea - intersection;
        var enclosing = (maximum(X1(predicted), X1(target)) - minimum(X0(predicted), X0(target)))
            * (maximum(Y1(predicted), Y1(target)) - minimum(Y0(predicted), Y0(target)));
        var iou = intersection / union.clamp_min(1e-7);
        var giou = iou - (enclosing - union) / enclosing.clamp_min(1e-7);
        return 1 - giou;
    }

    /// <summary>
    /// Class-wise non-maximum suppression: boxes by descending score; a box is dropped when it
    /// overlaps a kept box of its class by more than <paramref name="iouThreshold"/>; at most
    /// <paramref name="keep"/> boxes are returned, best first.
    /// </summary>
    public static List<Box> NonMaximumSuppression(IEnumerable<Box> boxes, double iouThreshold, int keep)
    {
        var kept = new List<Box>();
        foreach (var box in boxes.OrderByDescending(b => b.Score))
        {
            if (kept.Any(k => k.Class == box.Class && Box.IoU(k, box) > iouThreshold)) continue;
            kept.Add(box);
            if (kept.Count == keep) break;
        }
        return kept;
    }
}
