using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>The benchmark scripts run end to end on the CPU, so their PyTorch reference cannot rot unseen again; `sdae bench --memory` lists every batch size.</summary>
public class BenchScriptTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    const string Python = "/usr/bin/python3";
    static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));

    [TestCase("pixel")]
    [TestCase("teacher_latent")]
    public void CompareRunsSdaeAndThePyTorchReferenceOnTheSameExperimentAndPrintsTheRatio(string target)
    {
        if (ChildProcess.Run(Python, ["-c", "import torch, yaml"]).ExitCode != 0)
            Assert.Fail("PyTorch is not installed for /usr/bin/python3: run scripts/install-pytorch.sh (apt-get install python3-torch python3-yaml).");
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64)
            .Overlay(target == "pixel" ? "{}" : "{ masking: { type: multi_fold, ratio: 0.75, folds: 2 }, target: { type: teacher_latent } }");
        var experiment = folder.Write("tiny.yaml", yaml);
        var compare = ChildProcess.Run("bash", [Path.Combine(Repository, "bench", "compare.sh"), experiment, "--steps", "2", "--batch", "8"],
            environment: new Dictionary<string, string>
            {
                ["SDAE"] = $"dotnet {Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll")}",
                ["PYTHON"] = Python,
            });
        Assert.That(compare.ExitCode, Is.EqualTo(0), compare.All);
        Assert.That(compare.Output, Does.Contain("time ratio").And.Contain("RESULT {"), compare.All);
        Assert.That(compare.Output, Does.Not.Contain("reference skipped"), compare.All);
    }

    [Test]
    public void ThePreparedDeviceMeasurementRunsEndToEndOnTheCpu()
    {
        if (ChildProcess.Run(Python, ["-c", "import torch, yaml"]).ExitCode != 0)
            Assert.Fail("PyTorch is not installed for /usr/bin/python3: run scripts/install-pytorch.sh (apt-get install python3-torch python3-yaml).");
        // the rows read data/fashion-mnist under the working folder: the fixture's images stand in for it
        var work = Path.Combine(folder.Path, "device");
        Directory.CreateDirectory(Path.Combine(work, "data"));
        Directory.CreateSymbolicLink(Path.Combine(work, "data", "fashion-mnist"), dataRoot);
        var run = ChildProcess.Run("bash", [Path.Combine(Repository, "bench", "device-run.sh"), "--device", "cpu", "--batch", "2", "--steps", "2"],
            workingDirectory: work,
            environment: new Dictionary<string, string>
            {
                ["SDAE"] = $"dotnet {Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll")}",
                ["PYTHON"] = Python,
                ["ROWS"] = "sdae_vit-tiny-32px4_fp32",
                ["COST_ROW"] = "sdae_vit-tiny-32px4_fp32",
                ["TMPDIR"] = work,
            });
        Assert.That(run.ExitCode, Is.EqualTo(0), run.All);
        Assert.That(run.Output, Does.Not.Contain("FAILED").And.Not.Contain("reference skipped"), run.All);
        Assert.That(run.Output, Does.Contain("SdAE / MAE training-step time").And.Contain("NCCL allreduce: skipped (no GPU)"), run.All);
        Assert.That(run.Output, Does.Match(@"\| sdae_vit-tiny-32px4_fp32 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|"), "the summary row has both sides and the ratio:\n" + run.All);
    }

    [Test]
    public void BenchMemoryPrintsThePeakOfEveryBatchSizeSmallestFirst()
    {
        var experiment = folder.Write("memory.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64));
        // a process of its own: in the test process libtorch and earlier tests' memory are already resident
        var bench = ChildProcess.Run("dotnet", [Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll"), "bench", experiment, "--memory", "--batches", "16,4", "--steps", "1"]);
        Assert.That(bench.ExitCode, Is.EqualTo(0), bench.All);
        var output = bench.Output;
        var rows = output.Split('\n').Where(line => line.StartsWith("{\"batch\"")).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement).ToList();
        Assert.That(rows.Select(r => r.GetProperty("batch").GetInt32()), Is.EqualTo(new[] { 4, 16 }));
        var baseline = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"held (\d+) MiB before any model").Groups[1].Value);
        Assert.That(rows.Select(r => r.GetProperty("peak_rss_mib").GetDouble()), Has.All.GreaterThan(baseline), "a step adds the model and its activations");
        Assert.That(rows.Select(r => r.GetProperty("ms_per_step").GetDouble()), Has.All.GreaterThan(0));

        Assert.That(SdaeCommand.InProcess("bench", experiment, "--batches", "4").ExitCode, Is.EqualTo(2), "--batches without --memory");
        Assert.That(SdaeCommand.InProcess("bench", experiment, "--memory", "--batches", "4,x").ExitCode, Is.EqualTo(2));
    }
}
