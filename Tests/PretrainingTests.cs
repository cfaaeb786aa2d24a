using SdAE.Host.Commands;
using SdAE.Training;
using System.Text.Json;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Reports;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

public class PretrainingTests() : StripeDataFixture(trainCount: 512, testCount: 100)
{
    RunOutcome Run(string yaml, int? stopAfter = null, string file = "tiny.yaml")
    {
        using var loaded = ExperimentLoader.Load(folder.Write(file, yaml));
        var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance, stopAfter).Run();
        RunReports.Write(outcome, SilentTrainingDisplay.Instance);   // as `sdae run` does after training
        return outcome;
    }

    static List<(long Step, double Loss)> StepLosses(RunFolder run) =>
        run.Metrics.Read().Where(r => r.IsStep).Select(r => (r.Step, r.Values["loss"])).ToList();

    [Test]
    public void TinyRunLossFallsAndWritesTheRunFolder()
    {
        var outcome = Run(TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2, trainLimit: 512, eval: "{ type: knn, k: 5 }"));
        Assert.That(outcome.EpochLosses, Has.Count.EqualTo(2));
        Assert.That(outcome.EpochLosses[1], Is.LessThan(outcome.EpochLosses[0]));
        var run = outcome.Folder;
        Assert.That(File.Exists(run.ConfigPath) && File.Exists(run.CheckpointPath) && File.Exists(run.ResultsPath));
        Assert.That(File.Exists(run.File("reconstruction.png")));
        Assert.That(StepLosses(run), Has.Count.EqualTo(2 * 512 / 32));
        Assert.That(outcome.Heads.Single().Result.Top1, Is.InRange(0.0, 1.0));
        Assert.That(run.ReadResults().Heads.Single().Result.Top1, Is.EqualTo(outcome.Heads.Single().Result.Top1));
    }

    [TestCase("adamw", 0)]
    [TestCase("flat_adamw", 2)]
    public void ResumingAfterAStopReproducesTheUninterruptedLossesExactly(string optimizer, int prefetch)
    {
        string Yaml(string output) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 2)
            .Overlay($"{{ pretrain: {{ optimizer: {optimizer} }}, data: {{ prefetch: {prefetch} }} }}");
        var whole = Run(Yaml("whole"));
        var stopped = Run(Yaml("split"), stopAfter: 1);
        Assert.That(stopped.EpochLosses, Has.Count.EqualTo(1));
        var resumed = Run(Yaml("split"));
        Assert.That(resumed.EpochLosses, Has.Count.EqualTo(1), "only the second epoch runs after resuming");
        Assert.That(StepLosses(resumed.Folder), Is.EqualTo(StepLosses(whole.Folder)));
        Assert.That(resumed.EpochLosses[0], Is.EqualTo(whole.EpochLosses[1]));
    }

    [Test]
    public void Bf16KeepsFp32MasterWeightsAndTracksTheFp32Losses()
    {
        var fp32 = Run(TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "fp32"), epochs: 1));
        var bf16Yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "bf16"), epochs: 1, extra: "precision: bf16");
        var bf16 = Run(bf16Yaml, file: "bf16.yaml");
        var a = StepLosses(fp32.Folder).Select(s => s.Loss).ToList();
        var b = StepLosses(bf16.Folder).Select(s => s.Loss).ToList();
        Assert.That(b, Has.Count.EqualTo(a.Count));
        Assert.That(b, Is.Not.EqualTo(a), "bf16 really computes differently");
        for (int i = 0; i < a.Count; i++)
            Assert.That(b[i], Is.EqualTo(a[i]).Within(5).Percent, $"step {i + 1}");

        using var loaded = ExperimentLoader.Load(folder.Write("check.yaml", bf16Yaml));
        using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, new Abstractions.Plugins.PluginContext { ImageSize = 28, Channels = 1 });
        model.LoadWeights(bf16.Folder, loaded.Experiment.Pretrain, _ => { });
        Assert.That(model.TrainableParameters().Select(p => p.Parameter.dtype), Is.All.EqualTo(TorchSharp.torch.ScalarType.Float32));
    }

    [Test]
    public void TheSameSeedGivesTheSameLosses()
    {
        var a = Run(TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "a"), epochs: 1));
        var b = Run(TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "b"), epochs: 1));
        Assert.That(StepLosses(b.Folder), Is.EqualTo(StepLosses(a.Folder)));
    }

    [Test]
    public void AFinishedRunIsNotTrainedAgain()
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, eval: "{ type: knn, k: 5 }");
        var first = Run(yaml);
        var again = Run(yaml);
        Assert.That(again.EpochLosses, Is.Empty);
        Assert.That(again.Heads.Single().Result.Top1, Is.EqualTo(first.Heads.Single().Result.Top1));
    }

    [Test]
    public void ResumingWithADifferentTrainingConfigIsRefused()
    {
        var output = Path.Combine(folder.Path, "runs");
        Run(TinyExperiment.Yaml(dataRoot, output, epochs: 2), stopAfter: 1);
        var changed = TinyExperiment.Yaml(dataRoot, output, epochs: 2).Overlay("{ masking: { ratio: 0.5 } }");
        var e = Assert.Throws<UserError>(() => Run(changed));
        Assert.That(e!.Message, Does.Contain("different configuration"));
    }

    [Test]
    public void ACorruptCheckpointWithNoPreviousOneIsAClearErrorAndIsLeftAlone()
    {
        var output = Path.Combine(folder.Path, "runs");
        var yaml = TinyExperiment.Yaml(dataRoot, output, epochs: 2);
        var stopped = Run(yaml, stopAfter: 1);
        Assert.That(File.Exists(stopped.Folder.PreviousCheckpointPath), Is.False, "the first checkpoint replaces nothing");
        File.WriteAllBytes(stopped.Folder.CheckpointPath, [1, 2, 3]);
        var e = Assert.Throws<UserError>(() => Run(yaml));
        Assert.That(e!.Message, Does.Contain("no usable checkpoint").And.Contain("truncated"));
        Assert.That(File.ReadAllBytes(stopped.Folder.CheckpointPath), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [TestCase("truncated")]
    [TestCase("bit-flipped")]
    public void ADamagedLatestCheckpointIsDetectedAndThePreviousOneResumes(string damage)
    {
        var output = Path.Combine(folder.Path, "runs");
        var whole = Run(TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "whole"), epochs: 3));
        var yaml = TinyExperiment.Yaml(dataRoot, output, epochs: 3);
        var stopped = Run(yaml, stopAfter: 2);
        var latest = stopped.Folder.CheckpointPath;
        Assert.That(File.Exists(stopped.Folder.PreviousCheckpointPath), "the epoch-1 checkpoint is kept when epoch 2's is written");
        var bytes = File.ReadAllBytes(latest);
        if (damage == "truncated") bytes = bytes[..(bytes.Length / 2)];
        else bytes[bytes.Length / 3] ^= 0x10;
        File.WriteAllBytes(latest, bytes);
        var otherFiles = Directory.GetFiles(stopped.Folder.Path).Where(f => !f.EndsWith("metrics.jsonl")).ToDictionary(f => f, File.ReadAllBytes);

        var resumed = Run(yaml);
        Assert.That(resumed.EpochLosses, Has.Count.EqualTo(2), "epochs 2 and 3 run again from the epoch-1 checkpoint");
        Assert.That(StepLosses(resumed.Folder), Is.EqualTo(StepLosses(whole.Folder)), "and the run ends as an uninterrupted one");
        foreach (var (file, content) in otherFiles.Where(f => f.Key.EndsWith("config.resolved.yaml")))
            Assert.That(File.ReadAllBytes(file), Is.EqualTo(content), file);
    }

    [Test]
    public void MidEpochCheckpointsResumeAtTheExactBatch()
    {
        // 8 steps per epoch, a checkpoint every 3 steps; the first session dies at step 12 (a crash after the step-9 checkpoint)
        string Yaml(string output) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 2)
            .Overlay("{ pretrain: { checkpoint_every: 0, checkpoint_every_steps: 3 } }");
        var whole = Run(Yaml("whole"));
        using (var loaded = ExperimentLoader.Load(folder.Write("crash.yaml", Yaml("split"))))
            Assert.Throws<SimulatedCrash>(() => new Pretrainer(loaded, new CrashingDisplay(atStep: 12)).Run());
        var resumed = Run(Yaml("split"));
        Assert.That(StepLosses(resumed.Folder), Is.EqualTo(StepLosses(whole.Folder)), "masks, drop path and augmentation continue exactly");
        Assert.That(resumed.EpochLosses.Single(), Is.EqualTo(whole.EpochLosses[1]), "the epoch's mean loss includes the steps before the crash");
        Assert.That(resumed.Heads.Select(h => h.Result.Top1), Is.EqualTo(whole.Heads.Select(h => h.Result.Top1)));
    }

    sealed class SimulatedCrash : Exception;

    /// <summary>Throws from the display at a step, as a crash would stop the process there.</summary>
    sealed class CrashingDisplay(long atStep) : ITrainingDisplay
    {
        public void Info(string message) { }
        public void Report(string task, long done, long total, string? detail = null) { }
        public void Step(StepReport report)
        {
            if (report.Step == atStep) throw new SimulatedCrash();
        }
    }

    [Test]
    public void LearningRateWarmsUpThenFollowsACosine()
    {
        var schedule = new LearningRateSchedule(Peak: 1.0, Min: 0.0, WarmupSteps: 10, TotalSteps: 110);
        Assert.That(schedule.At(0), Is.EqualTo(0));
        Assert.That(schedule.At(5), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(schedule.At(10), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(schedule.At(60), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(schedule.At(110), Is.EqualTo(0.0).Within(1e-12));
        Assert.That(LearningRateSchedule.ScaledPeak(1.5e-4, 512), Is.EqualTo(3e-4).Within(1e-15));
    }
}

public class CheckpointTests
{
    [Test]
    public void LoadingIntoAModelWithOtherTensorsNamesTheMissingAndUnexpectedKeys()
    {
        using var folder = new TempFolder();
        var path = folder.File("x.ckpt");
        using var a = TorchSharp.torch.ones(2);
        using var b = TorchSharp.torch.ones(3);
        Checkpoint.Save(path, path + ".previous", new CheckpointHeader(1, 10, 10, "x", 1.0), [("encoder.a", a), ("encoder.b", b)]);
        using var c = TorchSharp.torch.zeros(2);
        var e = Assert.Throws<UserError>(() => Checkpoint.Load(path, [("encoder.a", a), ("encoder.c", c)]));
        Assert.That(e!.Message, Does.Contain("missing encoder.c").And.Contain("unexpected encoder.b"));
    }

    [Test]
    public void RoundTripsTensorsAndHeaderAndLeavesNoTemporaryFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("x.ckpt");
        using var source = TorchSharp.torch.arange(6f).view(2, 3);
        Checkpoint.Save(path, path + ".previous", new CheckpointHeader(3, 30, 31, "x", 2.5), [("w", source)]);
        using var target = TorchSharp.torch.zeros(2, 3);
        var header = Checkpoint.Load(path, [("w", target)]);
        Assert.That(header, Is.EqualTo(new CheckpointHeader(3, 30, 31, "x", 2.5)));
        Assert.That(target.equal(source).all().item<bool>(), Is.True);
        Assert.That(Directory.GetFiles(folder.Path), Is.EqualTo(new[] { path }));
    }
}

public class CheckpointEvaluationTests
{
    [Test]
    public void EvaluatingAFolderWithoutACheckpointIsAClearError()
    {
        using var folder = new TempFolder();
        var notARun = Assert.Throws<UserError>(() => CheckpointEvaluation.RequireEvaluableRun(folder.Path));
        Assert.That(notARun!.Message, Does.Contain("not a run folder"));
        folder.Write("config.resolved.yaml", "name: x\n");
        var noCheckpoint = Assert.Throws<UserError>(() => CheckpointEvaluation.RequireEvaluableRun(folder.Path));
        Assert.That(noCheckpoint!.Message, Does.Contain("has no checkpoint"));
    }

    [Test]
    public void EvaluatesARunsCheckpointAndMergesIntoResults()
    {
        using var folder = new TempFolder();
        var dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), 128, 30);
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 128, eval: "{ type: knn, k: 3 }");
        RunOutcome trained;
        using (var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml)))
            trained = new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run();
        var run = CheckpointEvaluation.RequireEvaluableRun(trained.Folder.Path);
        using var again = ExperimentLoader.Load(run.ConfigPath);
        var sameHeads = CheckpointEvaluation.Run(again, run, again.Experiment.Eval, SilentTrainingDisplay.Instance);
        Assert.That(sameHeads.Heads.Single().Result.Top1, Is.EqualTo(trained.Heads.Single().Result.Top1), "the checkpoint holds the trained encoder");
        CheckpointEvaluation.Run(again, run, HeadSpecs.FromNames(again, "linear_probe", EvalEncoder.Student), SilentTrainingDisplay.Instance);
        Assert.That(run.ReadResults().Heads.Select(h => h.Label), Is.EquivalentTo(new[] { "knn", "linear_probe" }));
    }
}
