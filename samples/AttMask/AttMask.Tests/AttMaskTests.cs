using NUnit.Framework;
using SdAE.Abstractions.Masking;
using SdAE.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace AttMask.Tests;

/// <summary>The masking contract, as the in-tree strategies are held to it (the guided overload included).</summary>
[TestFixture]
public class AttMaskMaskingContract : MaskingConformance
{
    protected override IMaskingStrategy CreateMasking() => new AttMaskMasking(new AttMaskOptions());
}

/// <summary>The module registers usable names and described options, and each plugin is created from its defaults.</summary>
[TestFixture]
public class AttMaskRegistration : PluginModuleConformance<AttMaskModule>;

/// <summary>High, hint and low on a constructed attention map whose ranking is known.</summary>
[TestFixture]
public class AttMaskRanking
{
    /// <summary>A 7x7 grid where patch i gets weight i.</summary>
    static Tensor Ramp(int batch) => arange(49, dtype: ScalarType.Float32).expand(batch, -1).contiguous() / 49;

    static MaskPlan Draw(AttMaskMode mode, double hints = 0.1, ulong seed = 1, int folds = 1)
    {
        using var generator = new Generator(seed);
        return new AttMaskMasking(new AttMaskOptions { Mode = mode, Ratio = 0.75, Hints = hints, Folds = folds }).Sample(3, new GridSize(7, 7), generator, Ramp(3));
    }

    static HashSet<long> Masked(MaskPlan plan, int image) => plan.MaskedIds![image].data<long>().ToHashSet();

    [Test]
    public void HighMasksTheMostAttendedPatchesAndLowTheLeast()
    {
        // 12 visible, 37 masked: high masks patches 12-48 (the largest weights), low 0-36
        for (int b = 0; b < 3; b++)
        {
            Assert.That(Masked(Draw(AttMaskMode.High), b), Is.EquivalentTo(Enumerable.Range(12, 37).Select(i => (long)i)));
            Assert.That(Masked(Draw(AttMaskMode.Low), b), Is.EquivalentTo(Enumerable.Range(0, 37).Select(i => (long)i)));
        }
    }

    [Test]
    public void HintLeavesTheStatedShareOfTheTopPatchesVisibleAtRandom()
    {
        // round(37 x 0.2) = 7 of the top 37 stay visible; the next 7 ranked (patches 5-11) are masked instead
        var top = Enumerable.Range(12, 37).Select(i => (long)i).ToHashSet();
        var drawn = new List<HashSet<long>>();
        foreach (ulong seed in new ulong[] { 1, 2 })
        {
            var plan = Draw(AttMaskMode.Hint, hints: 0.2, seed: seed);
            for (int b = 0; b < 3; b++)
            {
                var masked = Masked(plan, b);
                Assert.That(masked, Has.Count.EqualTo(37));
                Assert.That(top.Except(masked).Count(), Is.EqualTo(7), "7 hints among the most attended");
                Assert.That(masked.Except(top), Is.EquivalentTo(Enumerable.Range(5, 7).Select(i => (long)i)), "the next-ranked patches masked instead");
                drawn.Add(top.Except(masked).ToHashSet());
            }
        }
        Assert.That(drawn.Select(h => string.Join(",", h.Order())).Distinct().Count(), Is.GreaterThan(1), "the hints are drawn at random");
    }

    [Test]
    public void FoldsSplitTheMaskedPatchesAsMultiFoldDoes()
    {
        var plan = Draw(AttMaskMode.High, folds: 3);
        Assert.That(plan.Folds!.shape, Is.EqualTo(new long[] { 3, 3, 12 }), "37 masked: 3 folds of 12");
        Assert.That(plan.Mask.gather(1, plan.Folds!.reshape(3, -1)).all().item<bool>(), Is.True);
    }

    [Test]
    public void TooManyFoldsForTheMaskedPatchesIsOneClearError()
    {
        using var generator = new Generator(1);
        var masking = new AttMaskMasking(new AttMaskOptions { Ratio = 0.75, Folds = 40 });
        Assert.That(() => masking.Sample(2, new GridSize(7, 7), generator, Ramp(2)), Throws.ArgumentException.With.Message.Contains("masking.folds 40"));
    }
}
