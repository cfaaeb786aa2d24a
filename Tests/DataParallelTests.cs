using System.Diagnostics;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Tests.Support;
using SdAE.Training.Distributed;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>
/// Data-parallel runs on real Open MPI (`mpirun -np 2 sdae run`): two ranks with global batch B
/// train as one process with batch B (losses per step, final weights and teacher within 1e-5, also
/// across a resume); a rank that hangs or dies stops the run instead of leaving it blocked; a
/// batch that does not split over the ranks is refused. Needs mpirun (scripts/install-mpi.sh).
/// </summary>
[NonParallelizable]
public class DataParallelTests() : StripeDataFixture(trainCount: 256, testCount: 60)
{
    const double Tolerance = 1e-5;

    static string Sdae => Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll");

    /// <summary>Augmentation on (its draws must follow each image to its rank); drop path off (each rank draws its own).</summary>
    string Mae(string output) =>
        TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 2).Overlay("{ backbone: { drop_path: 0 } }");

    /// <summary>SdAE with the flat AdamW (its flat gradient buffer is allreduced as it is; MAE's per-tensor gradients are packed first).</summary>
    string SdaeMethod(string output) => Mae(output).Overlay(
        "{ masking: { type: multi_fold, ratio: 0.75, folds: 2 }, target: { type: teacher_latent, momentum: [0.99, 0.999], update: iteration }, pretrain: { optimizer: flat_adamw } }");

    static IReadOnlyDictionary<string, string> MpiEnvironment(IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            // CI runs as root; Open MPI refuses root without both
            ["OMPI_ALLOW_RUN_AS_ROOT"] = "1",
            ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1",
            ["OMPI_MCA_rmaps_base_oversubscribe"] = "1",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>()) environment[name] = value;
        return environment;
    }

    static ProcessResult Mpirun(int ranks, string experiment, params string[] more) =>
        ChildProcess.Run("mpirun", ["-np", ranks.ToString(), "dotnet", Sdae, "run", experiment, .. more], environment: MpiEnvironment());

    static ProcessResult Single(string experiment, params string[] more) => ChildProcess.Run("dotnet", [Sdae, "run", experiment, .. more]);

    [SetUp]
    public void RequireOpenMpi()
    {
        if (ChildProcess.Which("mpirun") is null) Assert.Ignore("Open MPI is not installed (scripts/install-mpi.sh installs it; .ci/run does).");
    }

    [TestCase("mae")]
    [TestCase("sdae")]
    public void TwoRanksWithGlobalBatchBTrainAsOneProcessWithBatchB(string method)
    {
        var yaml = method == "mae" ? (Func<string, string>)Mae : SdaeMethod;
        var one = folder.Write("one.yaml", yaml("one"));
        var two = folder.Write("two.yaml", yaml("two"));
        var single = Single(one);
        Assert.That(single.ExitCode, Is.EqualTo(0), single.All);
        var parallel = Mpirun(2, two);
        Assert.That(parallel.ExitCode, Is.EqualTo(0), parallel.All);
        Assert.That(parallel.Output, Does.Contain("data parallel: 2 ranks over Open MPI, 16 images of each batch of 32 per rank"));

        AssertSameTraining(one, two, parallel.All);
    }

    [Test]
    public void FineTuningSplitsItsBatchesOverTheRanksAndEndsAsOneProcess()
    {
        // batches of 21 from 50 images: 21, 21 and 8, split 10/11 and 4/4 over the two ranks; each
        // image must get the same crop and flip as in one process
        const string FineTune = "{ type: finetune, train_limit: 50, batch: 21, epochs: 3, eval_every: 1, drop_path: 0, augment: { crop_scale: [0.5, 1.0], flip: true } }";
        const string NoDropPath = "{ backbone: { drop_path: 0 } }";
        var one = folder.Write("one.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "one"), epochs: 1, eval: FineTune).Overlay(NoDropPath));
        var two = folder.Write("two.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "two"), epochs: 1, eval: FineTune).Overlay(NoDropPath));
        Assert.That(Single(one).ExitCode, Is.EqualTo(0));
        var parallel = Mpirun(2, two);
        Assert.That(parallel.ExitCode, Is.EqualTo(0), parallel.All);

        HeadOutcome Head(string experiment)
        {
            using var loaded = ExperimentLoader.Load(experiment);
            return RunFolder.For(loaded.Experiment).ReadResults().Heads.Single();
        }
        var (alone, split) = (Head(one), Head(two));
        Assert.That(split.Result.Curve, Has.Count.EqualTo(3));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.That(split.Result.Curve![epoch]["train_loss"], Is.EqualTo(alone.Result.Curve![epoch]["train_loss"]).Within(Tolerance), $"epoch {epoch + 1} loss");
            Assert.That(split.Result.Curve[epoch]["top1"], Is.EqualTo(alone.Result.Curve[epoch]["top1"]), $"epoch {epoch + 1} accuracy");
        }
    }

    [Test]
    public void TwoRanksStoppedAfterAnEpochAndResumedEndAsOneUninterruptedProcess()
    {
        var one = folder.Write("one.yaml", SdaeMethod("one"));
        var two = folder.Write("two.yaml", SdaeMethod("two"));
        Assert.That(Single(one).ExitCode, Is.EqualTo(0));
        var first = Mpirun(2, two, "--stop-after", "1");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.All);
        Assert.That(first.Output, Does.Contain("stopped after epoch 1"));
        var resumed = Mpirun(2, two);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.All);
        Assert.That(resumed.Output, Does.Contain("resuming from"));

        AssertSameTraining(one, two, resumed.All);
    }

    [Test]
    public void SigtermToOneRankStopsBothAfterTheSameStepAndTheResumedRunEndsAsOneProcess()
    {
        var one = folder.Write("one.yaml", SdaeMethod("one"));
        var two = folder.Write("two.yaml", SdaeMethod("two"));
        Assert.That(Single(one).ExitCode, Is.EqualTo(0));
        // MPMD: rank 1 pauses after its third step; rank 0 goes on until it waits for rank 1 in the step's stop agreement
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-np", "1", "dotnet", Sdae, "run", two, ":", "-x", "SDAE_TEST_PAUSE_AT=step:3", "-np", "1", "dotnet", Sdae, "run", two })
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in MpiEnvironment()) start.Environment[name] = value;
        using var mpirun = Process.Start(start)!;
        var errors = mpirun.StandardError.ReadToEndAsync();
        string? paused = null;
        while (mpirun.StandardOutput.ReadLine() is { } line)
            if (line.Contains("SDAE_PAUSED")) { paused = line; break; }   // Open MPI may put terminal codes before it
        Assert.That(paused, Is.Not.Null, "rank 1 paused");
        var rankOne = paused!.Split(' ')[^1];
        Assert.That(ChildProcess.Run("kill", ["-s", "TERM", rankOne]).ExitCode, Is.EqualTo(0));
        var output = mpirun.StandardOutput.ReadToEnd();
        Assert.That(mpirun.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, output);
        Assert.That(mpirun.ExitCode, Is.Not.EqualTo(0), "a stopped run does not report success");
        Assert.That(output, Does.Contain("stopped by SIGTERM after step 3"), output + errors.Result);

        using var loaded = ExperimentLoader.Load(two);
        var header = Checkpoint.ReadHeaderOf(RunFolder.For(loaded.Experiment).CheckpointPath);
        Assert.That((header.Step, header.StepInEpoch), Is.EqualTo((3L, 3L)), "both ranks stopped after step 3: rank 0 wrote that step's checkpoint");
        var resumed = Mpirun(2, two);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.All);
        Assert.That(resumed.Output, Does.Contain("3 of 8 steps of epoch 1"));
        AssertSameTraining(one, two, resumed.All);
    }

    [Test]
    public void ARankThatHangsMakesTheOthersStopWithAClearErrorInsteadOfWaitingForever()
    {
        var experiment = folder.Write("hang.yaml", Mae("hang"));
        var clock = Stopwatch.StartNew();
        // MPMD: rank 1 stops answering after its third step; rank 0 waits for it in the next allreduce
        var result = ChildProcess.Run("mpirun",
            ["-x", $"{CollectiveWatchdog.TimeoutVariable}=5", "-np", "1", "dotnet", Sdae, "run", experiment,
             ":", "-x", $"{CollectiveWatchdog.TimeoutVariable}=5", "-x", "SDAE_TEST_PAUSE_AT=step:3", "-np", "1", "dotnet", Sdae, "run", experiment],
            environment: MpiEnvironment(), timeout: TimeSpan.FromMinutes(2));
        Assert.That(result.ExitCode, Is.Not.EqualTo(0), result.All);
        Assert.That(result.All, Does.Contain("rank 0 of 2 waited").And.Contain("one of them has died or hangs"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "stopped by the 5 s timeout, not by the test's");
        Assert.That(new RunFolder(Path.Combine(folder.Path, "hang", "tiny", "default")).HasResults, Is.False);
    }

    [Test]
    public void ARankKilledWithSigkillEndsTheWholeRun()
    {
        var experiment = folder.Write("killed.yaml", Mae("killed"));
        var clock = Stopwatch.StartNew();
        // rank 1 stops after its third step and is killed 8 s after it started, while rank 0 waits for it in an
        // allreduce (the 300 s watchdog is far away): mpirun must take rank 0 down with it
        var result = ChildProcess.Run("mpirun",
            ["-np", "1", "dotnet", Sdae, "run", experiment,
             ":", "-x", "SDAE_TEST_PAUSE_AT=step:3", "-np", "1", "bash", "-c", $"(sleep 8; kill -9 $$) & exec dotnet {Sdae} run {experiment}"],
            environment: MpiEnvironment(), timeout: TimeSpan.FromMinutes(2));
        Assert.That(result.ExitCode, Is.Not.EqualTo(0), result.All);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), result.All);
    }

    [Test]
    public void AGlobalBatchThatDoesNotSplitOverTheRanksIsRefusedWithTheFix()
    {
        var experiment = folder.Write("odd.yaml", Mae("odd").Overlay("{ pretrain: { batch: 33 } }"));
        var result = Mpirun(2, experiment);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.All);
        Assert.That(result.Errors, Does.Contain("pretrain.batch 33 is the global batch and does not split evenly over 2 ranks").And.Contain("use a multiple of 2"));
        Assert.That(result.All, Does.Not.Contain("   at "), "no stack trace");
    }

    /// <summary>Step losses and every weight of the final checkpoint (student, decoder, teacher) agree within the tolerance.</summary>
    static void AssertSameTraining(string oneExperiment, string twoExperiment, string output)
    {
        using var one = ExperimentLoader.Load(oneExperiment);
        using var two = ExperimentLoader.Load(twoExperiment);
        var oneFolder = RunFolder.For(one.Experiment);
        var twoFolder = RunFolder.For(two.Experiment);
        var oneLosses = SameTraining.StepLosses(oneFolder);
        var twoLosses = SameTraining.StepLosses(twoFolder);
        Assert.That(twoLosses, Has.Count.EqualTo(oneLosses.Count).And.Count.EqualTo(16), output);
        for (int i = 0; i < oneLosses.Count; i++)
            Assert.That(twoLosses[i], Is.EqualTo(oneLosses[i]).Within(Tolerance), $"step {i + 1}");

        var differences = SameTraining.CheckpointDifferences(one, two);
        TestContext.Out.WriteLine(string.Join("\n", differences.Select(d => $"{d.Name} {d.Difference:E2}")));
        Assert.That(differences, Has.Count.GreaterThan(10));
        Assert.That(differences.Where(d => d.Difference > Tolerance).Select(d => $"{d.Name}: {d.Difference:E2}"), Is.Empty);
        if (one.Experiment.Target!.Type == "teacher_latent")
            Assert.That(differences.Select(d => d.Name), Has.Some.StartsWith("target_state."), "the teacher is compared too");
    }

}
