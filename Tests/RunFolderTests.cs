using SdAE.Abstractions.Heads;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

public class RunFolderTests
{
    static HeadOutcome Head(string label, double top1, IReadOnlyDictionary<string, MetricKind>? kinds = null, double best = 0) =>
        new(label, new Dictionary<string, string> { ["k"] = "20" },
            new HeadResult(new Dictionary<string, double> { ["top1"] = top1, ["best_epoch"] = best })
            {
                Curve = [new Dictionary<string, double> { ["epoch"] = 1, ["top1"] = top1 }],
                Kinds = kinds,
            }, 1.5);

    [Test]
    public void ResultsRoundTripWithKindsAndCurvesAndMergeByLabel()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(folder.Path);
        var kinds = new Dictionary<string, MetricKind> { ["best_epoch"] = MetricKind.Index };
        run.WriteResults(new RunResults("x", "default", 3, 2, 10.5, 99.9, [Head("knn", 0.5), Head("finetune", 0.7, kinds, best: 2)]));
        var read = run.ReadResults();
        Assert.That(read.Heads.Select(h => h.Label), Is.EqualTo(new[] { "knn", "finetune" }));
        Assert.That(read.Heads[1].Result.KindOf("best_epoch"), Is.EqualTo(MetricKind.Index));
        Assert.That(read.Heads[0].Result.KindOf("best_epoch"), Is.EqualTo(MetricKind.Scalar), "no declared kind: a scalar");
        Assert.That(read.Heads[1].Result.Curve![0]["top1"], Is.EqualTo(0.7));
        Assert.That((read.Seed, read.Epochs, read.TrainSeconds), Is.EqualTo((3, 2, 10.5)));

        var merged = read.With([Head("knn", 0.9)]);
        Assert.That(merged.Heads.Select(h => (h.Label, h.Result.Top1)), Is.EqualTo(new[] { ("finetune", 0.7), ("knn", 0.9) }));
    }

    [Test]
    public void AResultsFileWrittenBeforeHeadsHadALabelKeyIsReadWithTheTypeAsTheLabel()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(folder.Path);
        run.WriteResults(new RunResults("x", "default", 0, 1, 1, 1, [Head("knn@100", 0.5)]));
        var written = File.ReadAllText(run.ResultsPath);
        Assert.That(written, Does.Contain("\"label\": \"knn@100\"").And.Not.Contain("\"type\""));
        File.WriteAllText(run.ResultsPath, written.Replace("\"label\":", "\"type\":"));
        Assert.That(run.ReadResults().Heads.Single().Label, Is.EqualTo("knn@100"));
    }

    [TestCase("{ \"heads\": 3 }")]
    [TestCase("{ \"experiment\": \"x\" }")]
    [TestCase("{ \"experiment\": \"x\", \"run\": \"r\", \"seed\": 0, \"epochs\": 1, \"train_seconds\": 1, \"images_per_second\": 1, \"heads\": [ { \"type\": \"knn\", \"seconds\": 1 } ] }")]
    public void AResultsFileThisVersionCannotReadIsAUserError(string text)
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "results.json"), text);
        var e = Assert.Throws<UserError>(() => new RunFolder(folder.Path).ReadResults());
        Assert.That(e!.Fix, Does.Contain("sdae eval"));
    }

    [Test]
    public void MetricsLogTellsStepsEpochEndsAndOnlineEvaluationsApartAndTrims()
    {
        using var folder = new TempFolder();
        var log = new RunFolder(folder.Path).Metrics;
        log.Append(new MetricsRecord(1, 0.5, new Dictionary<string, double> { ["loss"] = 2.0 }));
        log.Append(new MetricsRecord(2, 1, new Dictionary<string, double> { [MetricsLog.EpochLoss] = 1.5 }));
        log.Append(new MetricsRecord(2, 1, new Dictionary<string, double> { ["top1"] = 0.4 }, Evaluation: "knn_teacher"));
        log.Append(new MetricsRecord(3, 1.5, new Dictionary<string, double> { ["loss"] = 1.0 }));
        var records = log.Read();
        Assert.That(records.Select(r => (r.IsStep, r.IsEpochEnd, r.Evaluation)), Is.EqualTo(new (bool, bool, string?)[]
            { (true, false, null), (false, true, null), (false, false, "knn_teacher"), (true, false, null) }));
        Assert.That(MetricsLog.EvaluationSeries(records, "top1")["knn_teacher"], Is.EqualTo(new[] { (1.0, 0.4) }));

        log.TrimAfter(2);
        Assert.That(log.Read().Select(r => r.Step), Is.EqualTo(new long[] { 1, 2, 2 }));
    }

    [Test]
    public void AFailedAtomicWriteLeavesTheOldFileAndNoTemporary()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "results.json");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            throw new InvalidOperationException("disk full");
        }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(folder.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void PluginFilesAreKeptInTheRunAndFoundByASiblingRun()
    {
        using var folder = new TempFolder();
        var first = new RunFolder(Path.Combine(folder.Path, "runs", "x", "a")).Files;
        var sibling = new RunFolder(Path.Combine(folder.Path, "runs", "x", "b")).Files;
        Assert.That(sibling.Find("codebook.bin"), Is.Null);
        first.Write("codebook.bin", stream => stream.WriteByte(7));
        Assert.That(first.Find("codebook.bin"), Is.EqualTo(Path.Combine(folder.Path, "runs", "x", "a", "codebook.bin")));
        Assert.That(File.ReadAllBytes(sibling.Find("codebook.bin")!), Is.EqualTo(new byte[] { 7 }), "from the shared cache");
    }

    [Test]
    public void TensorBoardGetsEveryScalarUnderItsGroup()
    {
        using var folder = new TempFolder();
        var log = new TensorBoardLog(Path.Combine(folder.Path, "tensorboard"));
        log.Write(new MetricsRecord(3, 0.5, new Dictionary<string, double> { ["loss"] = 0.25 }));
        log.Write(new MetricsRecord(6, 1, new Dictionary<string, double> { ["top1"] = 0.5 }, Evaluation: "knn@10"));
        var events = Directory.GetFiles(Path.Combine(folder.Path, "tensorboard"), "events.out.tfevents.*");
        Assert.That(events, Has.Length.EqualTo(1));
        var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(events[0]));
        Assert.That(text, Does.Contain("brain.Event:2").And.Contain("train/loss").And.Contain("eval/knn@10/top1"));
    }

    [Test]
    public void ARunsFinalEvaluationSettingsAndPicturesAreInTensorBoard()
    {
        using var folder = new TempFolder();
        var dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), 64, 20);
        var yaml = folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64,
            eval: "{ type: knn, k: 5 }, { type: finetune, labels_per_class: 2, epochs: 2 }"));
        Assert.That(SdaeCommand.InProcess("run", yaml).ExitCode, Is.EqualTo(0));
        var events = TensorBoardEvents.ReadAll(Path.Combine(folder.Path, "runs", "tiny", "default", "tensorboard"));
        var tags = events.Values().Select(v => v.Tag).ToList();
        Assert.That(tags, Does.Contain("final/knn/top1").And.Contain("final/finetune@2/top1").And.Contain("final/finetune@2/best_top1"));
        Assert.That(tags, Does.Not.Contain("final/finetune@2/best_epoch"), "positions are not charted");

        var settings = TensorBoardEvents.HyperParameters(events);
        Assert.That(settings["pretrain.epochs"].NumberValue, Is.EqualTo(1));
        Assert.That(settings["masking.type"].StringValue, Is.EqualTo("random"));
        Assert.That(settings.Keys, Has.None.StartsWith("eval.").And.None.EqualTo("pretrain.log_every"), "what trained, not how it was evaluated or logged");
        var experiment = events.Values().Single(v => v.Tag == "_hparams_/experiment").Metadata.PluginData.Content;
        var metricTags = TensorBoardEvents.Field(TensorBoardEvents.Field(experiment, 2).Single(), 5)
            .Select(info => TensorBoardEvents.Field(TensorBoardEvents.Field(info, 1).Single(), 2).Single().ToStringUtf8());
        Assert.That(metricTags, Does.Contain("final/knn/top1"), "the dashboard's metric columns are the final scalars");

        var images = events.Values().Where(v => v.Image is not null).ToDictionary(v => v.Tag, v => v.Image);
        Assert.That(images.Keys, Does.Contain("images/pretraining").And.Contain("images/reconstruction").And.Contain("images/health"));
        var png = File.ReadAllBytes(Path.Combine(folder.Path, "runs", "tiny", "default", "pretraining.png"));
        Assert.That(images["images/pretraining"].EncodedImageString.ToByteArray().Take(8), Is.EqualTo(png.Take(8)), "a PNG");
        Assert.That(images["images/pretraining"].Width, Is.GreaterThan(100));
    }

    [Test]
    public void ATornLastLineIsSkippedAndNonFiniteValuesSurvive()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(folder.Path);
        run.Metrics.Append(new MetricsRecord(1, 0.5, new Dictionary<string, double> { ["loss"] = double.NaN }));
        File.AppendAllText(run.Metrics.Path, "{\"step\":2,\"epo");   // a crash mid-append
        var records = run.Metrics.Read();
        Assert.That(records, Has.Count.EqualTo(1));
        Assert.That(double.IsNaN(records[0].Values["loss"]), Is.True);
        run.Metrics.TrimAfter(5);
        Assert.That(File.ReadAllLines(run.Metrics.Path), Has.Length.EqualTo(1), "the torn line is dropped on resume");

        var diverged = new HeadOutcome("finetune", new Dictionary<string, string>(), new HeadResult(new Dictionary<string, double> { ["top1"] = 0.1, ["train_loss"] = double.NaN }), 1);
        run.WriteResults(new RunResults("x", "default", 0, 1, 1, 1, [diverged]));
        Assert.That(double.IsNaN(run.ReadResults().Heads[0].Result.Metrics["train_loss"]), Is.True);
    }

    [Test]
    public void ParallelRunsWritingTheSameSharedFileDoNotCollide()
    {
        using var folder = new TempFolder();
        var runs = Enumerable.Range(0, 8).Select(i => new RunFolder(Path.Combine(folder.Path, "runs", "x", $"run{i}")).Files).ToList();
        Parallel.ForEach(runs, files => files.Write("codebook.bin", stream => stream.Write(new byte[64 * 1024])));
        Assert.That(runs.All(files => files.Find("codebook.bin") is { } path && new FileInfo(path).Length == 64 * 1024), Is.True);
        Assert.That(Directory.GetFiles(Path.Combine(folder.Path, "runs", ".cache")), Has.Length.EqualTo(1), "no temporary file left behind");
    }
}
