using SdAE.Abstractions.Heads;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Host.Sweeps;
using SdAE.Plugins.Heads;
using SdAE.Tests.Support;

namespace SdAE.Tests;

public class SweepTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    [SetUp]
    public void WriteBaseExperiment()
    {
        folder.Write("base.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64, eval: "{ type: knn, k: 3 }"));
    }

    const string TwoVariantsThreeSeeds = """
        sweep: cmp
        base: base.yaml
        common: { pretrain: { batch: 16 } }
        variants:
          mae: {}
          sdae:
            masking: { type: multi_fold, ratio: 0.75, folds: 3 }
            target: { type: teacher_latent }
        grid:
          seed: [0, 1, 2]
          eval.0.k: [3, 5]
        """;

    SweepDefinition Load(string yaml) => SweepDefinition.Load(folder.Write("sweep.yaml", yaml));

    [Test]
    public void ExpandsVariantsTimesGridWithDottedPathsIntoMapsAndLists()
    {
        var sweep = Load(TwoVariantsThreeSeeds);
        var runs = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep));
        Assert.That(runs, Has.Count.EqualTo(2 * 3 * 2));
        var one = runs.Single(r => r.Run.RunId == "sdae__seed-2__eval.0.k-5");
        Assert.That(one.Experiment.Seed, Is.EqualTo(2));
        Assert.That(one.Experiment.Name, Is.EqualTo("cmp"));
        Assert.That(one.Experiment.Run, Is.EqualTo("sdae__seed-2__eval.0.k-5"));
        Assert.That(one.Experiment.Masking!.Type, Is.EqualTo("multi_fold"));
        Assert.That(one.Experiment.Pretrain.Batch, Is.EqualTo(16), "common overlay applies to every variant");
        Assert.That((int)((dynamic)one.Experiment.Eval[0].Options).K, Is.EqualTo(5));
        Assert.That(one.Run.Group, Is.EqualTo("sdae eval.0.k=5"), "seeds are averaged within a report row");
        var mae = runs.First(r => r.Run.Variant == "mae").Experiment;
        Assert.That(mae.Masking!.Type, Is.EqualTo("random"), "the base is untouched by other variants");
    }

    [Test]
    public void AVariantsOwnGridReplacesTheSweepsForThatVariantOnly()
    {
        var sweep = Load(TwoVariantsThreeSeeds.ReplaceOnce("  mae: {}", "  mae: { grid: { seed: [4, 5] } }"));
        var runs = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep));
        Assert.That(runs.Where(r => r.Run.Variant == "mae").Select(r => r.Run.RunId), Is.EqualTo(new[] { "mae__seed-4", "mae__seed-5" }));
        Assert.That(runs.Count(r => r.Run.Variant == "sdae"), Is.EqualTo(3 * 2), "the other variant keeps the sweep's grid");
        Assert.That(runs.Where(r => r.Run.Variant == "mae").Select(r => r.Run.Group).Distinct(), Is.EqualTo(new[] { "mae" }), "its seeds share a report row");

        var bad = Assert.Throws<ExperimentError>(() => Load(TwoVariantsThreeSeeds.ReplaceOnce("  mae: {}", "  mae: { grid: { seed: 4 } }")));
        Assert.That(bad!.Message, Does.Contain("grid 'seed' must be a list"));
    }

    [Test]
    public void ANullInAVariantRemovesAKey()
    {
        var sweep = Load(TwoVariantsThreeSeeds.ReplaceOnce("  mae: {}", "  mae: { pretrain: { clip_grad: 1.0 }, decoder: ~ }"));
        var e = Assert.Throws<ExperimentError>(() => SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)));
        Assert.That(e!.Message, Does.Contain("variant 'mae'").And.Contain("no 'decoder' section"));
    }

    [Test]
    public void ABadKeyInAnyVariantFailsTheWholeSweepUpFrontNamingTheVariant()
    {
        var sweep = Load(TwoVariantsThreeSeeds.ReplaceOnce("folds: 3", "fold: 3"));
        var e = Assert.Throws<ExperimentError>(() => SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)));
        Assert.That(e!.Message, Does.StartWith("variant 'sdae'").And.Contain("unknown key 'fold'"));
        Assert.That(Directory.Exists(Path.Combine(folder.Path, "runs")), Is.False, "nothing ran");
    }

    [Test]
    public void AnOptionThatOnlyFailsAgainstTheBackboneFailsTheSweepCommandBeforeAnyRun()
    {
        // data2vec's top_k is checked when the target meets the backbone (2 blocks here), not when its options bind
        var file = folder.Write("sweep.yaml", TwoVariantsThreeSeeds.ReplaceOnce("mae: {}", "d2v: { target: { type: data2vec, top_k: 3 } }"));
        var (exitCode, errors, output) = SdaeCommand.InProcess("sweep", file);
        Assert.That(exitCode, Is.EqualTo(2), errors + output);
        Assert.That(errors, Does.Contain("variant 'd2v'").And.Contain("top_k 3 is more than the backbone's 2 blocks").And.Not.Contain("   at "));
        Assert.That(Directory.Exists(Path.Combine(folder.Path, "runs")), Is.False, "nothing ran");
        var (validateExit, validateErrors, _) = SdaeCommand.InProcess("validate", folder.Write("d2v.yaml",
            File.ReadAllText(Path.Combine(folder.Path, "base.yaml")).Overlay("{ target: { type: data2vec, top_k: 3 } }")));
        Assert.That(validateExit, Is.EqualTo(2), validateErrors);
        Assert.That(validateErrors, Does.Contain("top_k 3"), "sdae validate says the same at the target's line");
    }

    [Test]
    public void ABadGridPathIsAnError()
    {
        var sweep = Load(TwoVariantsThreeSeeds.ReplaceOnce("eval.0.k", "eval.4.k"));
        var e = Assert.Throws<ExperimentError>(() => SweepExpansion.Expand(sweep));
        Assert.That(e!.Message, Does.Contain("eval.4.k"));
    }

    /// <summary>Runs experiments in this process: writes a results.json unless the run id is in <see cref="Failing"/>.</summary>
    sealed class FakeExecutor : ISweepExecutor
    {
        public List<string> Executed { get; } = [];
        public HashSet<string> Failing { get; } = [];

        public Task ExecuteAsync(IReadOnlyList<PendingRun> runs, Action<PendingRun, RunEnd> finished, CancellationToken cancellationToken)
        {
            foreach (var run in runs) finished(run, new RunEnd(Execute(run.ExperimentPath), 1));
            return Task.CompletedTask;
        }

        int Execute(string experimentPath)
        {
            using var loaded = ExperimentLoader.Load(experimentPath);
            Executed.Add(loaded.Experiment.Run);
            if (Failing.Contains(loaded.Experiment.Run)) return 3;
            var experiment = loaded.Experiment;
            var result = new Abstractions.Heads.HeadResult(new Dictionary<string, double> { ["top1"] = 0.5 + experiment.Seed / 10.0 });
            RunFolder.For(experiment).WriteResults(new RunResults(experiment.Name, experiment.Run, experiment.Seed, experiment.Pretrain.Epochs, 2, 10,
                [new HeadOutcome("knn", new Dictionary<string, string>(), result, 1)]));
            return 0;
        }
    }

    static IReadOnlyList<SweepRunResult> RunAll(SweepDefinition sweep, ISweepExecutor executor) =>
        SweepRunner.RunAsync(SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)), executor, (_, _, _) => { }).GetAwaiter().GetResult();

    [Test]
    public void ReRunningSkipsFinishedRuns()
    {
        var sweep = Load(TwoVariantsThreeSeeds);
        var executor = new FakeExecutor();
        Assert.That(RunAll(sweep, executor).All(r => r.State == RunState.Succeeded));
        Assert.That(executor.Executed, Has.Count.EqualTo(12));
        var again = new FakeExecutor();
        Assert.That(RunAll(sweep, again).All(r => r.State == RunState.AlreadyDone));
        Assert.That(again.Executed, Is.Empty);
    }

    [Test]
    public void AFailingRunIsReportedAndTheOthersFinishAndRetry()
    {
        var sweep = Load(TwoVariantsThreeSeeds);
        var executor = new FakeExecutor { Failing = { "mae__seed-1__eval.0.k-3" } };
        var results = RunAll(sweep, executor);
        var failed = results.Single(r => r.State == RunState.Failed);
        Assert.That(failed.Run.RunId, Is.EqualTo("mae__seed-1__eval.0.k-3"));
        Assert.That(failed.ExitCode, Is.EqualTo(3));
        Assert.That(results.Count(r => r.State == RunState.Succeeded), Is.EqualTo(11));

        var retry = new FakeExecutor();
        RunAll(sweep, retry);
        Assert.That(retry.Executed, Is.EqualTo(new[] { "mae__seed-1__eval.0.k-3" }), "only the failed run runs again");
    }

    [Test]
    public void OnlyRunsTheNamedVariantsAndTheReportStillCoversEveryFinishedRun()
    {
        var sweep = Load(TwoVariantsThreeSeeds);
        var runs = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep));
        var first = new FakeExecutor();
        var results = SweepRunner.RunAsync(runs, first, (_, _, _) => { }, run => run.Variant == "sdae").GetAwaiter().GetResult();
        Assert.That(first.Executed, Has.Count.EqualTo(6).And.All.StartWith("sdae__"));
        Assert.That(results.Where(r => r.Run.Variant == "mae").Select(r => r.State), Is.All.EqualTo(RunState.NotSelected));

        var rest = new FakeExecutor();
        results = SweepRunner.RunAsync(runs, rest, (_, _, _) => { }, run => run.Variant == "mae").GetAwaiter().GetResult();
        Assert.That(rest.Executed, Has.Count.EqualTo(6).And.All.StartWith("mae__"));
        Assert.That(results.Where(r => r.Run.Variant == "sdae").Select(r => r.State), Is.All.EqualTo(RunState.AlreadyDone));
        var report = File.ReadAllText(SweepReport.Write(Path.Combine(folder.Path, "runs", "cmp"), results, 1)[0]);
        Assert.That(report, Does.Contain("12 of 12 runs finished").And.Contain("| sdae eval.0.k=3 | 3 |"));
    }

    [Test]
    public void OnlyTakesRunFolderNamesBesideVariantNames()
    {
        var sweep = Load(TwoVariantsThreeSeeds);
        var expanded = SweepExpansion.Expand(sweep);
        var only = SweepSelection.Parse(sweep, expanded, "mae__seed-1__eval.0.k-3, sdae");
        var executor = new FakeExecutor();
        SweepRunner.RunAsync(SweepExpansion.Validate(sweep, expanded), executor, (_, _, _) => { }, only.Contains).GetAwaiter().GetResult();
        Assert.That(executor.Executed.Where(id => id.StartsWith("mae__")), Is.EqualTo(new[] { "mae__seed-1__eval.0.k-3" }));
        Assert.That(executor.Executed.Count(id => id.StartsWith("sdae__")), Is.EqualTo(6));
        var error = Assert.Throws<UserError>(() => SweepSelection.Parse(sweep, expanded, "mae__seed-7"))!;
        Assert.That(error.Message, Does.Contain("mae__seed-7 is not a variant or run of sweep cmp"));
    }

    [Test]
    public void OnlyWithAVariantTheSweepDoesNotHaveIsOneClearErrorBeforeAnyRun()
    {
        var (exitCode, errors, output) = SdaeCommand.InProcess("sweep", folder.Write("sweep.yaml", TwoVariantsThreeSeeds), "--only", "sdae,beit");
        Assert.That(exitCode, Is.EqualTo(2), errors + output);
        Assert.That(errors, Does.Contain("beit is not a variant or run of sweep cmp").And.Contain("mae, sdae").And.Not.Contain("   at "));
        Assert.That(Directory.Exists(Path.Combine(folder.Path, "runs")), Is.False, "nothing ran");
    }

    [Test]
    public void ReportGivesMeanAndSampleStdOverSeeds()
    {
        HashSet<string> accuracies = ["knn top1"];
        RunMetrics Knn(double top1, double wall, double? speed = null) => new(new Dictionary<string, double> { ["knn top1"] = top1 }, accuracies, accuracies, wall, speed);
        var rows = SweepReport.Aggregate([("mae", Knn(0.70, 10, 900)), ("mae", Knn(0.74, 20, 1000)), ("mae", Knn(0.78, 30, 1100)), ("sdae", Knn(0.80, 5))]);
        var mae = rows.Single(r => r.Group == "mae");
        Assert.That(mae.Runs, Is.EqualTo(3));
        Assert.That(mae.Metrics["knn top1"].Mean, Is.EqualTo(0.74).Within(1e-12));
        Assert.That(mae.Metrics["knn top1"].Std, Is.EqualTo(0.04).Within(1e-12));
        Assert.That(mae.WallSeconds.Mean, Is.EqualTo(20));
        Assert.That(rows.Single(r => r.Group == "sdae").Metrics["knn top1"].Std, Is.EqualTo(0));
        var columns = new ReportColumns(accuracies, accuracies);
        var markdown = SweepReport.Markdown(rows, columns);
        Assert.That(markdown, Does.Contain("| mae | 3 | 74.00 ± 4.00 | 20 | 1000 |"));
        Assert.That(markdown, Does.Contain("| sdae | 1 | 80.00 ± 0.00 | 5 | — |"), "a run that did not pre-train has no images/s");
        Assert.That(SweepReport.Csv(rows, columns), Does.Contain("mae,3,0.74,0.04,20,10,1000,100"));
    }

    [Test]
    public void AHeadsOwnHeadlineIsReadBackFromResultsAndListedFirst()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(folder.Path);
        var accuracy = new Dictionary<string, MetricKind> { ["miou"] = MetricKind.Accuracy, ["top1"] = MetricKind.Accuracy };
        run.WriteResults(new RunResults("x", "default", 0, 1, 1, 1,
        [
            new HeadOutcome("upernet", new Dictionary<string, string>(), new HeadResult(new Dictionary<string, double> { ["top1"] = 0.95, ["miou"] = 0.15 }) { Kinds = accuracy, Headline = "miou" }, 1),
            new HeadOutcome("knn", new Dictionary<string, string>(), new HeadResult(new Dictionary<string, double> { ["top1"] = 0.8 }), 1),
        ]));
        var metrics = SweepReport.ReadRun(run.ReadResults());
        Assert.That(metrics.Headlines, Is.EquivalentTo(new[] { "upernet miou", "knn top1" }));
        Assert.That(metrics.ImagesPerSecond, Is.EqualTo(1), "pre-training's images/s is read back");
        Assert.That(SweepReport.ReadRun(new RunResults("x", "none", 0, 0, 0, 0, [])).ImagesPerSecond, Is.Null, "no pre-training, no images/s");
        var rows = SweepReport.Aggregate([("a", metrics)]);
        Assert.That(SweepReport.MetricColumns(rows, ReportColumns.Of([metrics])), Is.EqualTo(new[] { "knn top1", "upernet miou", "upernet top1" }),
            "headlines first; a segmentation head's pixel accuracy after them");
    }

    [Test]
    public void RunsRealProcessesAndWritesTheReport()
    {
        var sdae = Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll");
        Assert.That(File.Exists(sdae), sdae);
        var sweep = Load("""
            sweep: real
            base: base.yaml
            variants:
              ok: {}
              broken: { data: { root: no-such-folder } }
            grid:
              seed: [0]
            """);
        var results = RunAll(sweep, new LocalProcessExecutor(["dotnet", sdae], jobs: 2));
        var ok = results.Single(r => r.Run.Variant == "ok");
        var broken = results.Single(r => r.Run.Variant == "broken");
        Assert.That(ok.State, Is.EqualTo(RunState.Succeeded), File.Exists(ok.LogPath) ? File.ReadAllText(ok.LogPath) : "no log");
        Assert.That(broken.State, Is.EqualTo(RunState.Failed));
        Assert.That(broken.ExitCode, Is.EqualTo(2));
        Assert.That(File.ReadAllText(broken.LogPath), Does.Contain("data not found"));

        var written = SweepReport.Write(Path.Combine(folder.Path, "runs", "real"), results, 1);
        Assert.That(written.Select(Path.GetFileName), Is.SupersetOf(new[] { "report.md", "report.csv", "comparison.png" }));
        Assert.That(File.ReadAllText(written[0]), Does.Contain("| ok | 1 |").And.Contain("1 of 2 runs finished"));
    }
}
