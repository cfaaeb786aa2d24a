using SdAE.Plugins.Heads.Dense;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>COCO-style AP on hand-built cases with known answers, GIoU loss and non-maximum suppression.</summary>
public class DetectionMetricTests
{
    static Box B(double x0, double y0, double x1, double y1, int @class = 0, double score = 1) => new(x0, y0, x1, y1, @class, score);

    [Test]
    public void PerfectDetectionsScoreOneAndNoDetectionsZero()
    {
        var perfect = new CocoAveragePrecision(2);
        perfect.Add([B(0, 0, 10, 10), B(20, 20, 40, 30, 1)], [B(0, 0, 10, 10, 0, 0.9), B(20, 20, 40, 30, 1, 0.8)]);
        perfect.Add([B(5, 5, 15, 25)], [B(5, 5, 15, 25, 0, 0.7)]);
        Assert.That(perfect.Mean(), Is.EqualTo(1.0));
        Assert.That(perfect.MeanAt(0.5), Is.EqualTo(1.0));

        var empty = new CocoAveragePrecision(2);
        empty.Add([B(0, 0, 10, 10)], []);
        Assert.That(empty.Mean(), Is.EqualTo(0.0));
    }

    [Test]
    public void AFalsePositiveRankedFirstHalvesPrecisionAtEveryRecall()
    {
        var ap = new CocoAveragePrecision(1);
        ap.Add([B(0, 0, 10, 10)], [B(50, 50, 60, 60, 0, 0.9), B(0, 0, 10, 10, 0, 0.8)]);
        Assert.That(ap.MeanAt(0.5), Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void ASecondDetectionOfOneBoxIsAFalsePositive()
    {
        var ap = new CocoAveragePrecision(1);
        ap.Add([B(0, 0, 10, 10)], [B(0, 0, 10, 10, 0, 0.9), B(0, 0, 10, 10, 0, 0.8)]);
        ap.Add([B(0, 0, 10, 10)], [B(0, 0, 10, 10, 0, 0.7)]);
        // TP, FP, TP: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1; made monotone 1, 2/3, 2/3;
        // recall points 0..0.50 read 1 (51 points), 0.51..1 read 2/3 (50 points)
        Assert.That(ap.MeanAt(0.5), Is.EqualTo((51 + 50 * 2.0 / 3) / 101).Within(1e-12));
    }

    [Test]
    public void AMatchNeedsAnIoUOfAtLeastTheThreshold()
    {
        var exactlyHalf = new CocoAveragePrecision(1);
        exactlyHalf.Add([B(0, 0, 10, 10)], [B(0, 0, 10, 20)]);   // IoU 100 / 200 = 0.5
        Assert.That(exactlyHalf.MeanAt(0.5), Is.EqualTo(1.0));
        Assert.That(exactlyHalf.MeanAt(0.55), Is.EqualTo(0.0));
        Assert.That(exactlyHalf.Mean(), Is.EqualTo(0.1).Within(1e-12), "one threshold of ten");

        var justBelow = new CocoAveragePrecision(1);
        justBelow.Add([B(0, 0, 10, 10)], [B(0, 0, 10, 20.001)]);
        Assert.That(justBelow.MeanAt(0.5), Is.EqualTo(0.0));
    }

    [Test]
    public void AClassWithoutGroundTruthIsLeftOutAndDetectionsOfAnotherClassDoNotMatch()
    {
        var ap = new CocoAveragePrecision(3);
        ap.Add([B(0, 0, 10, 10, 0)], [B(0, 0, 10, 10, 0, 0.9), B(0, 0, 10, 10, 2, 0.95)]);
        Assert.That(ap.Mean(), Is.EqualTo(1.0), "class 2 has no ground truth: not averaged; class 1 likewise");
        var wrongClass = new CocoAveragePrecision(2);
        wrongClass.Add([B(0, 0, 10, 10, 0)], [B(0, 0, 10, 10, 1, 0.9)]);
        Assert.That(wrongClass.Mean(), Is.EqualTo(0.0));
    }

    [Test]
    public void GeneralizedIoULossIsZeroForTheSameBoxAndAboveOneForDistantOnes()
    {
        using var predicted = tensor(new float[] { 0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10 }, [3, 4]);
        using var target = tensor(new float[] { 0, 0, 10, 10, 0, 0, 10, 20, 30, 30, 40, 40 }, [3, 4]);
        var loss = Boxes.GeneralizedIoULoss(predicted, target).data<float>().ToArray();
        Assert.That(loss[0], Is.EqualTo(0).Within(1e-6));
        Assert.That(loss[1], Is.EqualTo(0.5).Within(1e-6), "IoU 1/2, the enclosing box is the union");
        Assert.That(loss[2], Is.GreaterThan(1.0), "disjoint: IoU 0 and a penalty for the empty enclosing area");
    }

    [Test]
    public void NonMaximumSuppressionDropsOverlapsOfTheSameClassOnly()
    {
        var kept = Boxes.NonMaximumSuppression([B(0, 0, 10, 10, 0, 0.9), B(1, 0, 11, 10, 0, 0.8), B(1, 0, 11, 10, 1, 0.7), B(30, 30, 40, 40, 0, 0.6)], 0.6, 10);
        Assert.That(kept.Select(b => b.Score), Is.EqualTo(new[] { 0.9, 0.7, 0.6 }));
        Assert.That(Boxes.NonMaximumSuppression(kept, 0.6, 2), Has.Count.EqualTo(2));
    }
}
