using static TorchSharp.torch;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>
/// Per-pixel predictions against labels, accumulated over a test set as a classes x classes count
/// matrix (rows: label, columns: prediction), and the segmentation metrics read from it as
/// mmsegmentation computes them: per-class IoU = intersection / union, where union = predicted +
/// labelled - intersection; a class neither labelled nor predicted anywhere has no IoU and is left
/// out of the mean (mIoU = nan-mean); pixel accuracy (aAcc) = correct pixels / labelled pixels.
/// Labels outside [0, classes) (an ignore index) are not counted.
/// </summary>
public sealed class ConfusionMatrix(int classes)
{
    readonly long[] counts = new long[classes * classes];

    public int Classes => classes;

    /// <summary>Adds int64 predictions and labels of the same shape.</summary>
    public void Add(Tensor predictions, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var label = labels.reshape(-1).cpu();
        var prediction = predictions.reshape(-1).cpu();
        var counted = label.ge(0).logical_and_(label.lt(classes));
        var cells = label[counted] * classes + prediction[counted];
        var histogram = bincount(cells, minlength: classes * classes).data<long>().ToArray();
        for (int i = 0; i < counts.Length; i++) counts[i] += histogram[i];
    }

    public long Count(int label, int predicted) => counts[label * classes + predicted];

    /// <summary>IoU of each class, NaN for a class neither labelled nor predicted.</summary>
    public double[] IoU()
    {
        var iou = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            long intersection = Count(c, c), labelled = 0, predicted = 0;
            for (int k = 0; k < classes; k++)
            {
                labelled += Count(c, k);
                predicted += Count(k, c);
            }
            long union = labelled + predicted - intersection;
            iou[c] = union == 0 ? double.NaN : (double)intersection / union;
        }
        return iou;
    }

    /// <summary>The mean IoU over the classes that have one (NaN when none has).</summary>
    public double MeanIoU()
    {
        var present = IoU().Where(v => !double.IsNaN(v)).ToList();
        return present.Count == 0 ? double.NaN : present.Average();
    }

    /// <summary>Correct pixels over labelled pixels (NaN when nothing was counted).</summary>
    public double PixelAccuracy()
    {
        long correct = 0, total = counts.Sum();
        for (int c = 0; c < classes; c++) correct += Count(c, c);
        return total == 0 ? double.NaN : (double)correct / total;
    }
}
