using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using static SdAE.Testing.TensorChecks;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>What every plugin check runs with: a 28x28 grayscale input, ten classes.</summary>
public abstract class PluginConformance
{
    protected virtual PluginContext Context => new() { ImageSize = 28, Channels = 1, ClassCount = 10 };
}

/// <summary>
/// A masking strategy's contract: its plan is self-consistent (mask, ids, restore order, disjoint
/// folds of masked ids) and a function of the generator's state. Derive and return your strategy.
/// A guided strategy (<see cref="IGuidedMasking"/>) is held to it with and without a guide.
/// </summary>
public abstract class MaskingConformance : PluginConformance
{
    protected abstract IMaskingStrategy CreateMasking();

    protected virtual GridSize Grid => new(7, 7);

    /// <summary>The plan drawn without a guide and, for a guided strategy, one drawn with a fixed random guide.</summary>
    IEnumerable<MaskPlan> Draw(IMaskingStrategy masking, ulong seed)
    {
        using (var generator = new Generator(seed))
            yield return masking.Sample(3, Grid, generator);
        if (masking is not IGuidedMasking guided) yield break;
        using (var generator = new Generator(seed))
            yield return guided.Sample(3, Grid, generator, rand(3, Grid.Count, generator: new Generator(99)));
    }

    [Test]
    public void MaskIdsRestoreOrderAndFoldsAgree()
    {
        var masking = CreateMasking();
        using var scope = NewDisposeScope();
        foreach (var plan in Draw(masking, 1))
            AssertConsistent(masking, plan);
    }

    void AssertConsistent(IMaskingStrategy masking, MaskPlan plan)
    {
        Assert.That(plan.Grid, Is.EqualTo(Grid));
        Assert.That(plan.Mask.dtype, Is.EqualTo(ScalarType.Bool));
        Assert.That(plan.Mask.shape, Is.EqualTo(new long[] { 3, Grid.Count }));
        var maskedPerImage = plan.Mask.sum([1]);
        Assert.That(maskedPerImage.min().item<long>(), Is.GreaterThan(0L), "every image has a masked patch");
        Assert.That(maskedPerImage.max().item<long>(), Is.LessThan(Grid.Count), "every image keeps a visible patch");
        if (!masking.ProducesIds)
        {
            Assert.That(plan.VisibleIds, Is.Null, "a strategy without ids leaves them out");
            return;
        }
        var (visible, masked, restore) = (plan.VisibleIds!, plan.MaskedIds!, plan.RestoreIds!);
        Assert.That(visible.shape[1] + masked.shape[1], Is.EqualTo(Grid.Count));
        Assert.That(plan.Mask.gather(1, masked).all().item<bool>(), Is.True, "masked ids are masked");
        Assert.That(plan.Mask.gather(1, visible).any().item<bool>(), Is.False, "visible ids are not masked");
        var shuffled = cat([visible, masked], 1);
        Assert.That(Same(shuffled.gather(1, restore), arange(Grid.Count).expand(3, -1)), Is.True, "restore ids undo the shuffle");
        if (plan.Folds is { } folds)
        {
            Assert.That(folds.dim(), Is.EqualTo(3), "folds are [B, K, n]: K equal groups");
            var folded = folds.reshape(3, -1);
            for (long b = 0; b < 3; b++)
                Assert.That(folded[b].unique().Item1.numel(), Is.EqualTo(folded.shape[1]), "folds are disjoint");
            Assert.That(plan.Mask.gather(1, folded).all().item<bool>(), Is.True, "folds hold masked ids only");
        }
        if (plan.TargetGroups is { } groups)
        {
            Assert.That(groups.dtype, Is.EqualTo(ScalarType.Bool));
            Assert.That(groups.dim() == 3 && groups.shape[0] == 3 && groups.shape[2] == Grid.Count, Is.True, "target groups are bool [B, G, L]");
            Assert.That(groups.any(2).all().item<bool>(), Is.True, "every target group holds a patch");
            Assert.That((groups & ~plan.Mask.unsqueeze(1)).any().item<bool>(), Is.False, "target groups hold masked patches only");
        }
    }

    [Test]
    public void TheSameGeneratorStateGivesTheSamePlan()
    {
        var masking = CreateMasking();
        using var scope = NewDisposeScope();
        foreach (var (first, again) in Draw(masking, 7).Zip(Draw(masking, 7)))
        {
            Assert.That(Same(first.Mask, again.Mask), Is.True);
            if (masking.ProducesIds) Assert.That(Same(first.VisibleIds!, again.VisibleIds!), Is.True);
            if (first.Folds is not null) Assert.That(Same(first.Folds, again.Folds!), Is.True);
            if (first.TargetGroups is not null) Assert.That(Same(first.TargetGroups, again.TargetGroups!), Is.True);
        }
    }
}
