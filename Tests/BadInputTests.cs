using System.Text;
using SdAE.Host.Cli;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// The bad-input matrix: every case goes through the `sdae` command line in-process and must end
/// with exit code 2 and one short message, never a stack trace. docs/reliability.md lists the
/// cases with the messages this test prints.
/// </summary>
public class BadInputTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    public sealed record Case(string Name, string Command, Func<BadInputTests, string[]> Arguments)
    {
        public override string ToString() => Name;
    }

    string Output => Path.Combine(folder.Path, "runs");
    string Valid => TinyExperiment.Yaml(dataRoot, Output, epochs: 1, trainLimit: 64);
    string Write(string yaml, string name = "bad.yaml") => folder.Write(name, yaml);
    string[] Run(string yaml) => ["run", Write(yaml)];
    string[] Validate(string yaml) => ["validate", Write(yaml)];
    string Images(string name, Action<string> fill)
    {
        var root = Path.Combine(folder.Path, name);
        Directory.CreateDirectory(root);
        fill(root);
        return root;
    }
    string FolderData(string root, string extra = "") =>
        Valid.ReplaceOnce("type: mnist", "type: image_folder").ReplaceOnce($"root: {dataRoot}", $"root: {root}{extra}");

    public static IEnumerable<Case> Cases() =>
    [
        new("experiment file missing", "run", t => ["run", Path.Combine(t.folder.Path, "nope.yaml")]),
        new("YAML syntax error", "validate", t => t.Validate(t.Valid.ReplaceOnce("seed: 3", "seed: [3"))),
        new("unknown top-level key", "validate", t => t.Validate(t.Valid.ReplaceOnce("seed: 3", "sede: 3"))),
        new("unknown plugin type", "validate", t => t.Validate(t.Valid.ReplaceOnce("type: random", "type: randon"))),
        new("unknown plugin option", "validate", t => t.Validate(t.Valid.ReplaceOnce("ratio: 0.75", "rato: 0.75"))),
        new("wrong value type", "validate", t => t.Validate(t.Valid.ReplaceOnce("epochs: 1", "epochs: many"))),
        new("value out of range", "validate", t => t.Validate(t.Valid.ReplaceOnce("ratio: 0.75", "ratio: 1.5"))),
        new("key given twice", "validate", t => t.Validate(t.Valid.ReplaceOnce("seed: 3", "seed: 3\nseed: 4"))),
        new("required section missing", "validate", t => t.Validate(t.Valid.ReplaceOnce("target: { type: pixel }", ""))),
        new("old data.dataset key", "validate", t => t.Validate(t.Valid.ReplaceOnce("type: mnist", "dataset: mnist"))),
        new("IDX data missing", "run", t => t.Run(t.Valid.ReplaceOnce($"root: {t.dataRoot}", $"root: {t.folder.Path}/none"))),
        new("IDX file truncated", "run", t =>
        {
            var images = Path.Combine(t.dataRoot, "train-images-idx3-ubyte");
            File.WriteAllBytes(images, File.ReadAllBytes(images)[..1000]);
            return t.Run(t.Valid);
        }),
        new("plugin assembly missing", "validate", t => t.Validate("plugins: [missing.dll]\n" + t.Valid)),
        new("plugin file not a .NET assembly", "validate", t =>
        {
            File.WriteAllText(Path.Combine(t.folder.Path, "native.dll"), "not an assembly");
            return t.Validate("plugins: [native.dll]\n" + t.Valid);
        }),
        new("masking ratio leaves no visible patch (validate)", "validate", t => t.Validate(t.Valid.ReplaceOnce("ratio: 0.75", "ratio: 0.99"))),
        new("masking ratio leaves no visible patch (run)", "run", t => t.Run(t.Valid.ReplaceOnce("ratio: 0.75", "ratio: 0.99"))),
        new("more folds than masked patches", "validate", t => t.Validate(t.Valid
            .ReplaceOnce("type: random, ratio: 0.75", "type: multi_fold, ratio: 0.75, folds: 100")
            .ReplaceOnce("type: pixel", "type: teacher_latent"))),
        new("patch does not divide the image", "validate", t => t.Validate(t.Valid.ReplaceOnce("patch: 7", "patch: 5"))),
        new("teacher asked of a target without one", "validate", t => t.Validate(t.Valid.Overlay("{ eval: [{ type: knn, encoder: teacher }] }"))),
        new("eval every more epochs than pre-training", "validate", t => t.Validate(t.Valid.Overlay("{ eval: [{ type: knn, every: 5 }] }"))),
        new("two eval entries with one name", "validate", t => t.Validate(t.Valid.Overlay("{ eval: [{ type: knn, k: 5 }, { type: knn, k: 9 }] }"))),
        new("eval name with a space", "validate", t => t.Validate(t.Valid.Overlay("{ eval: [{ type: knn, name: my knn }] }"))),
        new("labels_per_class above what the data has", "run", t => t.Run(t.Valid.Overlay("{ eval: [{ type: knn, labels_per_class: 1000 }] }"))),
        new("batch larger than the training set", "run", t => t.Run(t.Valid.ReplaceOnce("batch: 32", "batch: 128"))),
        new("image folder missing", "run", t => t.Run(t.FolderData(Path.Combine(t.folder.Path, "no-photos")))),
        new("image folder empty", "run", t => t.Run(t.FolderData(t.Images("empty", _ => { })))),
        new("class folder without images", "run", t => t.Run(t.FolderData(t.Images("classes", root =>
        {
            ImageFiles.WriteLabelledFolder(root, ["a"], 2, 8);
            Directory.CreateDirectory(Path.Combine(root, "b"));
        })))),
        new("images of different sizes without image_size", "run", t => t.Run(t.FolderData(t.Images("mixed", root =>
        {
            ImageFiles.Write(Path.Combine(root, "1.png"), ImageFiles.RandomPixels(8, 8, 1), 8, 8);
            ImageFiles.Write(Path.Combine(root, "2.png"), ImageFiles.RandomPixels(6, 6, 2), 6, 6);
        })))),
        new("evaluation heads on an unlabelled folder", "run", t => t.Run(t.FolderData(t.Images("flat", root =>
        {
            for (int i = 0; i < 4; i++) ImageFiles.Write(Path.Combine(root, $"{i}.png"), ImageFiles.RandomPixels(28, 28, i), 28, 28);
        })).ReplaceOnce("train_limit: 64", "image_size: 28").Overlay("{ eval: [{ type: knn }], pretrain: { batch: 2 } }"))),
        new("CIFAR file of the wrong length", "run", t =>
        {
            var root = t.Images("cifar", root =>
            {
                File.WriteAllBytes(Path.Combine(root, "train.bin"), new byte[3074 * 2 + 5]);
                File.WriteAllBytes(Path.Combine(root, "test.bin"), new byte[3074]);
            });
            return t.Run(t.Valid.ReplaceOnce("type: mnist", "type: cifar").ReplaceOnce($"root: {t.dataRoot}", $"root: {root}"));
        }),
        new("data.mean with the wrong channel count", "run", t => t.Run(t.Valid.Overlay("{ data: { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] } }"))),
        new("run folder in use by a live process", "run", t =>
        {
            var runFolder = Path.Combine(t.Output, "tiny", "default");
            t.held = RunLock.Take(runFolder, _ => { });
            return t.Run(t.Valid);
        }),
        new("eval of a folder that is not a run", "eval", t => ["eval", t.folder.Path]),
        new("sweep with an unknown key in a variant", "sweep", t =>
        {
            t.Write(t.Valid, "base.yaml");
            return ["sweep", t.Write("sweep: s\nbase: base.yaml\nvariants:\n  a: { masking: { rato: 0.5 } }\n", "sweep.yaml"), "--dry-run"];
        }),
        new("unknown command option", "run", t => ["run", t.Write(t.Valid), "--stop-after", "zero"]),
        new("teacher_latent with masking that gives no folds", "validate", t => t.Validate(t.Valid.ReplaceOnce("type: pixel", "type: teacher_latent"))),
        new("init_from a text file named .pth", "validate", t =>
        {
            t.Write("these are not weights", "weights.pth");
            return t.Validate(t.Valid.ReplaceOnce("patch: 7", "patch: 7, init_from: weights.pth"));
        }),
        new("init_from 8 random bytes named .safetensors", "validate", t =>
        {
            File.WriteAllBytes(Path.Combine(t.folder.Path, "weights.safetensors"), [0x13, 0x9f, 0x44, 0x01, 0xee, 0x72, 0x05, 0xc1]);
            return t.Validate(t.Valid.ReplaceOnce("patch: 7", "patch: 7, init_from: weights.safetensors"));
        }),
        new("sweep with an empty grid list", "sweep", t =>
        {
            t.Write(t.Valid, "base.yaml");
            return ["sweep", t.Write("sweep: s\nbase: base.yaml\ngrid: { seed: [] }\n", "sweep.yaml"), "--dry-run"];
        }),
    ];

    RunLock? held;

    [TearDown] public void ReleaseLock() => held?.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void GivesExitCodeTwoAndOneShortMessage(Case bad)
    {
        var (exitCode, errors, output) = SdaeCommand.InProcess(bad.Arguments(this));
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        TestContext.Out.WriteLine($"| {bad.Name} | `sdae {bad.Command}` | {errors.Trim().Replace(folder.Path, "…").Replace("|", "\\|")} |");
        Assert.That(exitCode, Is.EqualTo(2), errors + output);
        Assert.That(lines, Has.Length.InRange(1, 3), errors);
        Assert.That(errors + output, Does.Not.Contain("   at ").And.Not.Contain("Exception:"), "no stack trace");
        Assert.That(lines[0], Does.StartWith("error: "));
    }

    [Test]
    public void AnUnexpectedExceptionIsOneLineNamingItsTraceFileAndExitCode70()
    {
        var (oldError, errors) = (Console.Error, new StringWriter());
        Console.SetError(errors);
        int exitCode;
        try { exitCode = CliErrors.Run(() => throw new InvalidOperationException("a bug\nwith a second line")); }
        finally { Console.SetError(oldError); }
        var line = errors.ToString().Trim();
        Assert.That(exitCode, Is.EqualTo(CliErrors.CrashExitCode));
        Assert.That(line.Split('\n'), Has.Length.EqualTo(1));
        Assert.That(line, Does.Contain("InvalidOperationException: a bug").And.Contain("This is a bug"));
        var log = System.Text.RegularExpressions.Regex.Match(line, @"the full trace is in (\S+\.log)").Groups[1].Value;
        Assert.That(File.ReadAllText(log), Does.Contain("a bug").And.Contain(" at "), "the trace is in the file, not on the screen");
        File.Delete(log);
    }

    [Test]
    public void TheMatrixHasAtLeastTwentyFiveCases() => Assert.That(Cases().Count(), Is.GreaterThanOrEqualTo(25));
}
