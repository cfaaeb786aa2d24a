using SdAE.Host.Config;
using SdAE.Host.Sweeps;
using SdAE.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace SdAE.Tests;

/// <summary>The command line: key.path=value overrides checked like the file, strict options, --version, and each command telling the other kind of file.</summary>
public class CommandLineTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    string Experiment() => folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2, trainLimit: 64));

    [Test]
    public void OverridesChangeTheFilesKeysAndAreRecordedInTheResolvedConfig()
    {
        var (exitCode, errors, output) = SdaeCommand.InProcess("validate", Experiment(), "pretrain.epochs=3", "masking={ type: random, ratio: 0.5 }",
            "data.augment.flip=false", "--resolved");
        Assert.That(exitCode, Is.EqualTo(0), errors);
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        var resolved = (YamlMappingNode)stream.Documents[0].RootNode;
        string At(params string[] path) => path.Aggregate((YamlNode)resolved, (node, key) => ((YamlMappingNode)node)[key]).ToString();
        Assert.That((At("pretrain", "epochs"), At("masking", "ratio"), At("data", "augment", "flip")), Is.EqualTo(("3", "0.5", "false")));

        var run = SdaeCommand.InProcess("run", Experiment(), "pretrain.epochs=1", "run=quick");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Errors);
        var config = File.ReadAllText(Path.Combine(folder.Path, "runs", "tiny", "quick", "config.resolved.yaml"));
        Assert.That(config, Does.Match(@"epochs: 1\b"), "the run trained with the override and its folder records it");
    }

    [TestCase("pretrain.epochz=1", "epochz")]
    [TestCase("pretrain.epochs=many", "whole number")]
    [TestCase("masking.ratio=1.5", "out of range")]
    [TestCase("masking.type=randon", "randon")]
    [TestCase("seed.value=1", "not a section")]
    [TestCase("eval.4.k=5", "index")]
    [TestCase("epochs", "key.path=value")]
    public void ABadOverrideIsOneLineNamingTheOverride(string text, string says)
    {
        var (exitCode, errors, _) = SdaeCommand.InProcess("validate", Experiment(), text);
        Assert.That(exitCode, Is.EqualTo(2), errors);
        Assert.That(errors.Trim().Split('\n'), Has.Length.EqualTo(1), errors);
        Assert.That(errors, Does.Contain(text).And.Contain(says).And.Not.Contain("tiny.yaml:"), "it names the override, not a line of the file");
    }

    [Test]
    public void AnUnknownOptionIsAnErrorNotIgnored()
    {
        var (exitCode, errors, _) = SdaeCommand.InProcess("run", Experiment(), "--epochs", "1");
        Assert.That(exitCode, Is.EqualTo(2), errors);
        Assert.That(errors, Does.Contain("epochs"));
        Assert.That(Directory.Exists(Path.Combine(folder.Path, "runs")), Is.False, "nothing ran");
    }

    [Test]
    public void VersionNamesTheToolTheContractAndTorchSharp()
    {
        var version = ChildProcess.Run("dotnet", [Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll"), "--version"]);
        Assert.That(version.ExitCode, Is.EqualTo(0), version.All);
        Assert.That(version.Output, Does.Contain($"SdAE.Abstractions {SdAE.Host.Plugins.PluginCatalog.ContractVersion.ToString(3)}").And.Contain("TorchSharp"));
    }

    [Test]
    public void EachCommandTellsTheOtherKindOfFileAndWhichCommandToUse()
    {
        var experiment = Experiment();
        var sweep = folder.Write("sweep.yaml", "sweep: s\nbase: tiny.yaml\ngrid: { seed: [0, 1] }\n");
        var validate = SdaeCommand.InProcess("validate", sweep);
        Assert.That(validate.ExitCode, Is.EqualTo(2));
        Assert.That(validate.Errors, Does.Contain("sweep file").And.Contain($"sdae sweep {sweep}"));
        var sweepAnExperiment = SdaeCommand.InProcess("sweep", experiment, "--dry-run");
        Assert.That(sweepAnExperiment.ExitCode, Is.EqualTo(2));
        Assert.That(sweepAnExperiment.Errors, Does.Contain("experiment file").And.Contain($"sdae run {experiment}"));
    }

    [Test]
    public void ASweepsOverridesApplyToEveryRunAfterItsVariantAndGridPoint()
    {
        Experiment();
        var file = folder.Write("sweep.yaml", "sweep: s\nbase: tiny.yaml\nvariants:\n  a: { pretrain: { epochs: 5 } }\n  b: {}\ngrid: { seed: [0, 1] }\n");
        var sweep = SweepDefinition.Load(file);
        var overrides = ConfigOverrides.Parse(["pretrain.epochs=1"]);
        var runs = SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep, overrides: overrides), overrides: overrides);
        Assert.That(runs, Has.Count.EqualTo(4));
        Assert.That(runs.Select(r => r.Experiment.Pretrain.Epochs), Is.All.EqualTo(1));
        Assert.That(runs.Select(r => r.Experiment.Seed).Distinct().Count(), Is.EqualTo(2), "the grid still applies");
    }
}

/// <summary>What `sdae run` prints into a pipe (a log file, a sweep, CI).</summary>
public class PipedOutputTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    [Test]
    public void APipedRunPrintsWholeLinesAndOneProgressLinePerHeadNotOnePerEpoch()
    {
        var yaml = folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "a-rather-long-folder-name-for-runs"), epochs: 1, trainLimit: 64,
            eval: "{ type: knn, k: 3, labels_per_class: 2, every: 1 }, { type: finetune, labels_per_class: 4, epochs: 12, batch: 8, eval_every: 6 }"));
        var run = ChildProcess.Run("dotnet", [Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll"), "run", yaml]);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.All);
        var lines = run.Output.Split('\n');
        var progress = lines.Where(l => l.StartsWith("finetune@4: ", StringComparison.Ordinal)).ToList();
        Assert.That(progress, Has.Count.InRange(1, 3), "throttled progress of the one protocol under its head label, not a line per epoch:\n" + run.Output);
        Assert.That(progress, Has.All.Contain("epoch").And.All.Match(@" \d+ s$"), "with the head's elapsed time");
        Assert.That(lines.Where(l => l.Contains("k-NN: ")), Has.All.StartWith("knn@2: "), "k-NN's feature lines say which head they belong to");
        Assert.That(lines.Where(l => l.StartsWith("epoch 1/1")), Has.All.Contain("to the final evaluation"));
        Assert.That(lines.Count(l => l.Contains("test top-1")), Is.EqualTo(2), "the evaluations every 6 of 12 epochs");
        var results = Path.Combine(folder.Path, "a-rather-long-folder-name-for-runs", "tiny", "default", "results.json");
        Assert.That(lines, Has.Some.Contains($"results: {results}"), "the results line is not wrapped at 80 columns:\n" + run.Output);
    }

    [Test]
    public void OneSlowLogWindowMovesTheEtaByAFifthNotAllTheWay()
    {
        // 1000 images left: 10 s at 100 images/s; one window at 45 images/s (a checkpoint) read as is would say 22 s
        var rate = new SdAE.Host.Engine.SmoothedRate();
        Assert.That(1000 / rate.Add(100), Is.EqualTo(10).Within(1e-9), "the first window is taken as it is");
        Assert.That(1000 / rate.Add(100), Is.EqualTo(10).Within(1e-9));
        double afterSlow = 1000 / rate.Add(45);
        Assert.That(afterSlow, Is.EqualTo(1000 / (0.8 * 100 + 0.2 * 45)).Within(1e-9));
        Assert.That(afterSlow, Is.LessThan(12), "not the 22 s the slow window alone would give");
        Assert.That(1000 / rate.Add(100), Is.LessThan(afterSlow).And.GreaterThan(10), "and it recovers over the next windows");
    }
}
