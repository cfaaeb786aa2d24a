namespace SdAE.Plugins.Heads.Dense;

/// <summary>
/// COCO-style detection average precision, as pycocotools computes it for the "all" area range
/// without crowd boxes: for each class and each IoU threshold 0.50, 0.55, ..., 0.95, detections
/// (the best <see cref="MaxDetections"/> per image) are taken by descending score over all images;
/// each matches the unmatched ground-truth box of its class in its image with the highest IoU, if
/// that IoU is at least the threshold (else it is a false positive); precision is made monotone
/// (each point the maximum to its right) and read at the 101 recall points 0, 0.01, ..., 1 (0 past
/// the highest recall reached); AP is their mean. A class without ground truth is left out. mAP
/// (AP@[.5:.95]) averages classes and thresholds; AP50 and AP75 average classes at one threshold.
/// </summary>
public sealed class CocoAveragePrecision(int classes)
{
    public const int MaxDetections = 100;
    public static readonly double[] Thresholds = Enumerable.Range(0, 10).Select(i => 0.5 + 0.05 * i).ToArray();

    readonly List<(IReadOnlyList<Box> Truth, IReadOnlyList<Box> Detections)> images = [];

    /// <summary>One image's ground-truth boxes and detections (scores in <see cref="Box.Score"/>).</summary>
    public void Add(IReadOnlyList<Box> truth, IReadOnlyList<Box> detections) =>
        images.Add((truth, detections.OrderByDescending(d => d.Score).Take(MaxDetections).ToList()));

    /// <summary>AP of one class at one IoU threshold; NaN when the class has no ground truth.</summary>
    public double AveragePrecision(int @class, double threshold)
    {
        int truthCount = images.Sum(i => i.Truth.Count(t => t.Class == @class));
        if (truthCount == 0) return double.NaN;
        var detections = images.SelectMany((image, index) => image.Detections.Where(d => d.Class == @class).Select(d => (Image: index, Box: d)))
            .OrderByDescending(d => d.Box.Score).ToList();   // stable: ties keep image order, as pycocotools' mergesort
        var matched = images.Select(i => new bool[i.Truth.Count]).ToList();
        var truePositive = new bool[detections.Count];
        for (int d = 0; d < detections.Count; d++)
        {
            var (image, box) = detections[d];
            var truth = images[image].Truth;
            double best = Math.Min(threshold, 1 - 1e-10);
            int match = -1;
            for (int g = 0; g < truth.Count; g++)
            {
                if (truth[g].Class != @class || matched[image][g]) continue;
                double iou = Box.IoU(box, truth[g]);
                if (iou < best) continue;
                (best, match) = (iou, g);
            }
            if (match < 0) continue;
            matched[image][match] = true;
            truePositive[d] = true;
        }

        var precision = new double[detections.Count];
        var recall = new double[detections.Count];
        int tp = 0;
        for (int d = 0; d < detections.Count; d++)
        {
            if (truePositive[d]) tp++;
            precision[d] = (double)tp / (d + 1);
            recall[d] = (double)tp / truthCount;
        }
        for (int d = detections.Count - 2; d >= 0; d--) precision[d] = Math.Max(precision[d], precision[d + 1]);
        double sum = 0;
        for (int r = 0; r <= 100; r++)
        {
            double point = r * 0.01;   // as numpy's linspace(0, 1, 101) makes them (29 x 0.01 is 0.29000000000000004)
            int first = Array.FindIndex(recall, value => value >= point);
            sum += first < 0 ? 0 : precision[first];
        }
        return sum / 101;
    }

    /// <summary>The mean over the classes with ground truth of AP at <paramref name="threshold"/> (NaN when no class has any).</summary>
    public double MeanAt(double threshold)
    {
        var values = Enumerable.Range(0, classes).Select(c => AveragePrecision(c, threshold)).Where(v => !double.IsNaN(v)).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    /// <summary>AP@[.5:.95]: the mean over the ten thresholds.</summary>
    public double Mean() => Thresholds.Select(MeanAt).Average();
}
