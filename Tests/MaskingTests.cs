using SdAE.Abstractions.Masking;
using SdAE.Plugins.Masking;
using static TorchSharp.torch;

using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class MaskingTests
{
    static MaskPlan Sample(double ratio, int batch, GridSize grid, ulong seed)
    {
        using var generator = new Generator(seed);
        return new RandomMasking(new RandomMaskingOptions { Ratio = ratio }).Sample(batch, grid, generator);
    }

    [TestCase(0.75, 7, 12)]
    [TestCase(0.5, 14, 98)]
    [TestCase(0.9, 4, 1)]
    public void CountsDisjointnessAndRestoreInverse(double ratio, int side, int visible)
    {
        var grid = new GridSize(side, side);
        var plan = Sample(ratio, 5, grid, 1);
        Assert.That(plan.VisibleIds!.shape, Is.EqualTo(new long[] { 5, visible }));
        Assert.That(plan.MaskedIds!.shape, Is.EqualTo(new long[] { 5, grid.Count - visible }));
        // visible and masked ids together are a permutation of 0..L-1 in every row
        var all = cat([plan.VisibleIds, plan.MaskedIds], 1);
        Assert.That(Same(all.sort(1).Values, arange(grid.Count).expand(5, -1)), Is.True);
        // restore is the inverse permutation: gathering shuffle by restore gives 0..L-1
        Assert.That(Same(all.gather(1, plan.RestoreIds!), arange(grid.Count).expand(5, -1)), Is.True);
        // the boolean mask marks exactly the masked ids
        Assert.That(plan.Mask.gather(1, plan.MaskedIds).all().item<bool>(), Is.True);
        Assert.That(plan.Mask.gather(1, plan.VisibleIds).any().item<bool>(), Is.False);
    }

    [Test]
    public void SameGeneratorSeedSameMasks()
    {
        var grid = new GridSize(7, 7);
        Assert.That(Same(Sample(0.75, 3, grid, 9).MaskedIds!, Sample(0.75, 3, grid, 9).MaskedIds!), Is.True);
        Assert.That(Same(Sample(0.75, 3, grid, 9).MaskedIds!, Sample(0.75, 3, grid, 10).MaskedIds!), Is.False);
    }

    [Test]
    public void RatioThatLeavesNothingVisibleIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Sample(0.99, 1, new GridSize(4, 4), 0));
        Assert.That(e!.Message, Does.Contain("at least one patch visible"));
    }
}
