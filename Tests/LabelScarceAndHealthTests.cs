using SdAE.Host.Config;
using SdAE.Abstractions.Data;
using SdAE.Host.Data;
using SdAE.Host.Engine;
using SdAE.Host.Reports;
using SdAE.Host.Runs;
using SdAE.Tests.Support;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>Label-scarce evaluation, health diagnostics and the per-step plots.</summary>
public class LabelScarceAndHealthTests() : StripeDataFixture(trainCount: 400, testCount: 100)
{
    StoredImageDataset Train() => TestData.Mnist(dataRoot, DataSplit.Train);

    [Test]
    public void ABalancedSubsetHasNPerClassIsFixedBySeedAndNested()
    {
        using var train = Train();
        using var ten = BalancedSubset.Of(train, 10, seed: 4);
        using var again = BalancedSubset.Of(train, 10, seed: 4);
        using var twenty = BalancedSubset.Of(train, 20, seed: 4);
        using var otherSeed = BalancedSubset.Of(train, 10, seed: 5);
        Assert.That(ten.Count, Is.EqualTo(100));
        Assert.That(ten.Labels.bincount(null, 10).data<long>().ToArray(), Is.EqualTo(Enumerable.Repeat(10L, 10)));
        Assert.That(SdAE.Testing.TensorChecks.Same(ten.Indices, again.Indices), Is.True, "the same seed draws the same images");
        Assert.That(SdAE.Testing.TensorChecks.Same(ten.Indices, otherSeed.Indices), Is.False);
        var twentySet = twenty.Indices.data<long>().ToHashSet();
        Assert.That(ten.Indices.data<long>().ToArray(), Is.SubsetOf(twentySet), "10 per class is part of 20 per class");
        Assert.That(SdAE.Testing.TensorChecks.Same(ten.Labels, train.Labels.index_select(0, ten.Indices)), Is.True);
        var e = Assert.Throws<UserError>(() => BalancedSubset.Of(train, 41, seed: 4));
        Assert.That(e!.Message, Does.Contain("labels_per_class 41"));
    }

    [Test]
    public void EffectiveRankSeesCollapseAndTheWarningSaysSo()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var direction = randn(1, 64, generator: generator);
        var collapsed = randn(256, 1, generator: generator) * direction + 3;
        var isotropic = randn(256, 64, generator: generator);
        Assert.That(HealthProbe.EffectiveRank(collapsed), Is.EqualTo(1.0).Within(0.01));
        Assert.That(HealthProbe.EffectiveRank(isotropic), Is.GreaterThan(40));
        Assert.That(HealthProbe.EffectiveRank(zeros(256, 64)), Is.EqualTo(1.0), "constant features");
        Assert.That(HealthProbe.TokenSpread(collapsed.expand(2, 256, 64)), Is.GreaterThan(0.5));
        Assert.That(HealthProbe.TokenSpread(direction.expand(2, 256, 64)), Is.EqualTo(0).Within(1e-6));

        var warnings = HealthProbe.Warnings(3, new Dictionary<string, double> { ["student_rank"] = 1.0, ["teacher_rank"] = 30, ["target_spread"] = 0.01 }, width: 64);
        Assert.That(warnings, Has.Count.EqualTo(2));
        Assert.That(warnings[0], Does.Contain("student rank 1.00 of 64"));
        Assert.That(warnings[1], Does.Contain("target spread"));
        Assert.That(HealthProbe.Warnings(3, new Dictionary<string, double> { ["student_rank"] = 30, ["target_spread"] = 0.9 }, width: 64), Is.Empty);
    }

    [Test]
    public void ALabelScarceRunEvaluatesOnTheSubsetAndLogsHealthAndPerStepPlots()
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2, trainLimit: 400,
            eval: "{ type: knn, k: 5, labels_per_class: 5, every: 1 }, { type: knn, k: 5 }, { type: linear_probe, epochs: 2, labels_per_class: 5 }");
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml));
        using var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run();
        RunReports.Write(outcome, SilentTrainingDisplay.Instance);

        var results = outcome.Folder.ReadResults();
        Assert.That(results.Heads.Select(h => h.Label), Is.EqualTo(new[] { "knn@5", "knn", "linear_probe@5" }));
        Assert.That(results.Heads.Select(h => h.Settings["labels_per_class"]), Is.EqualTo(new[] { "5", "all", "5" }));
        Assert.That(results.Heads[0].Result.Top1, Is.Not.EqualTo(results.Heads[1].Result.Top1), "50 labels vote differently from 400");

        var records = outcome.Folder.Metrics.Read();
        var epochEnds = records.Where(r => r.IsEpochEnd).ToList();
        Assert.That(epochEnds, Has.Count.EqualTo(2));
        Assert.That(epochEnds.All(r => r.Values["student_rank"] is > 1 and <= 32 && double.IsFinite(r.Values["probe_loss"])), Is.True);
        Assert.That(records.Single(r => r.Evaluation is not null).Evaluation, Is.EqualTo("knn@5"));
        foreach (var picture in new[] { "pretraining.png", "health.png", "evaluation.png", "reconstruction.png" })
            Assert.That(new FileInfo(outcome.Folder.File(picture)).Length, Is.GreaterThan(1000), picture);
    }
}
