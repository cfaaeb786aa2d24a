using System.Text.Json;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Interop;
using SdAE.Host.Runs;
using SdAE.Plugins.Backbones;
using SdAE.Training.Interop;
using SdAE.Tests.Support;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>
/// Weights that travel: an exported encoder loads into a plain PyTorch ViT in timm's layout with the
/// same outputs, PyTorch's own weights start an encoder here with the same outputs, and export then
/// init_from is bit-identical. PyTorch is Debian's python3-torch (scripts/install-pytorch.sh).
/// </summary>
public class PyTorchInteropTests() : StripeDataFixture(trainCount: 256, testCount: 60)
{
    const double Tolerance = 1e-5;

    static JsonElement RunPython(params string[] arguments) => PyTorchScripts.Run("vit_check.py", arguments);

    /// <summary>A one-epoch run of a width-32, depth-2 ViT (layer scale on, so every key kind is exercised) and its student encoder loaded from the checkpoint.</summary>
    (string RunDirectory, PretrainingModel Model) TrainedRun()
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1)
            .Overlay("{ backbone: { layer_scale: 0.1 } }");
        using (var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml)))
            new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run().Dispose();
        var run = Path.Combine(folder.Path, "runs", "tiny", "default");
        var again = ExperimentLoader.Load(Path.Combine(run, "config.resolved.yaml"));
        var model = PretrainingModel.Build(again.Experiment, again.Catalog, new PluginContext { ImageSize = 28, Channels = 1, ClassCount = 10 });
        model.LoadWeights(new RunFolder(run), again.Experiment.Pretrain, _ => { });
        again.Dispose();
        return (run, model);
    }

    static VisionTransformer FreshVit() =>
        new(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 7, LayerScale = 0.1 }, new PluginContext { ImageSize = 28, Channels = 1 });

    static Tensor Tokens(EncoderModule encoder, Tensor images)
    {
        encoder.eval();
        using var _ = no_grad();
        return encoder.EncodeAll(images);
    }

    [TestCase("safetensors")]
    [TestCase("pytorch")]
    public void AnExportedEncoderGivesTheSameTokensInPyTorchAndBackHereBitForBit(string format)
    {
        var (run, model) = TrainedRun();
        using var _ = model;
        var request = new ExportRequest(run, EvalEncoder.Student, format == "pytorch" ? StateDictFormat.Pytorch : StateDictFormat.Safetensors, TimmNames: true, WithDecoder: false, Output: null);
        var (file, sidecar, count) = EncoderExport.Run(request, _ => { });
        Assert.That(count, Is.EqualTo(model.Encoder.state_dict().Count - (model.Encoder.HasMaskToken ? 1 : 0)), "every encoder tensor but a mask token (timm's ViT has none)");

        using var generator = new Generator(11);
        using var images = randn([3, 1, 28, 28], generator: generator);
        using var expected = Tokens(model.Encoder, images);
        var io = Path.Combine(folder.Path, "io.safetensors");
        StateDictFile.Save(io, new Dictionary<string, Tensor> { ["input"] = images, ["tokens"] = expected }, StateDictFormat.Safetensors);
        var check = RunPython("features", file, sidecar, io);
        TestContext.Out.WriteLine($"{format}: PyTorch vs sdae, largest token difference {check.GetProperty("max_abs_diff").GetDouble():E2}");
        Assert.That(check.GetProperty("max_abs_diff").GetDouble(), Is.LessThanOrEqualTo(Tolerance));

        using var reloaded = FreshVit();
        var report = EncoderWeights.Import(reloaded, file, strict: false);
        Assert.That(report, Does.Contain($"{count} tensors loaded"));
        using var roundTrip = Tokens(reloaded, images);
        Assert.That(SdAE.Testing.TensorChecks.Same(roundTrip, expected), Is.True, "export then init_from: bit-identical tokens");
    }

    [TestCase("model.pth")]
    [TestCase("model.safetensors")]
    [TestCase("mae_style.pth")]
    public void PyTorchWeightsStartAnEncoderWithTheSameTokens(string file)
    {
        var output = Path.Combine(folder.Path, "pytorch");
        Directory.CreateDirectory(output);
        RunPython("make", output, "32", "2", "2", "7", "28", "1", "5");
        var io = StateDictFile.Load(Path.Combine(output, "io.safetensors"));
        using var encoder = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 7 }, new PluginContext { ImageSize = 28, Channels = 1 });
        var report = EncoderWeights.Import(encoder, Path.Combine(output, file), strict: true);
        TestContext.Out.WriteLine(report);
        Assert.That(report, Does.Contain("30 tensors loaded"));
        if (file == "mae_style.pth") Assert.That(report, Does.Contain("ignored 3 non-encoder keys"), "the decoder and its mask token are not the encoder's");
        using var tokens = Tokens(encoder, io["input"]);
        double difference = (tokens - io["tokens"]).abs().max().item<float>();
        TestContext.Out.WriteLine($"{file}: sdae vs PyTorch, largest token difference {difference:E2}");
        Assert.That(difference, Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void AnExperimentStartsFromAPyTorchCheckpointAndMismatchesAreNamed()
    {
        var output = Path.Combine(folder.Path, "pytorch");
        Directory.CreateDirectory(output);
        RunPython("make", output, "32", "2", "2", "7", "28", "1", "5");
        var weights = Path.Combine(output, "model.pth");
        string Yaml(string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1).Overlay($"{{ backbone: {{ {extra} }} }}");

        var display = new Support.RecordingDisplay();
        using (var loaded = ExperimentLoader.Load(folder.Write("init.yaml", Yaml($"init_from: {weights}"))))
            new Pretrainer(loaded, display).Run().Dispose();
        Assert.That(display.Lines, Has.Some.Contains("init_from").And.Contain("30 tensors loaded"));

        // a fine-tuning head can start from a PyTorch checkpoint too
        var finetune = new Support.RecordingDisplay();
        using (var loaded = ExperimentLoader.Load(folder.Write("head.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1,
            eval: $"{{ type: finetune, epochs: 1, labels_per_class: 5, init_from: {weights} }}").ReplaceOnce("name: tiny", "name: head"))))
        {
            using var outcome = new Pretrainer(loaded, finetune).Run();
            Assert.That(outcome.Heads.Single().Result.Top1, Is.InRange(0.0, 1.0));
        }
        Assert.That(finetune.Lines, Has.Some.StartsWith("finetune: init_from").And.Contain("30 tensors loaded"));

        // 56px images with patch 7: an 8x8 grid, so the file's 4x4 position embedding is interpolated in 2-D
        var interpolated = new Support.RecordingDisplay();
        using (var loaded = ExperimentLoader.Load(folder.Write("grid.yaml", Yaml($"init_from: {weights}").ReplaceOnce("name: tiny", "name: grid").Overlay("{ data: { image_size: 56 } }"))))
            new Pretrainer(loaded, interpolated).Run().Dispose();
        Assert.That(interpolated.Lines, Has.Some.Contains("position embedding interpolated"));

        using var wide = ExperimentLoader.Load(folder.Write("wide.yaml", Yaml($"width: 48, init_from: {weights}").ReplaceOnce("name: tiny", "name: wide")));
        var e = Assert.Throws<ExperimentError>(() => new Pretrainer(wide, SilentTrainingDisplay.Instance).Run())!;
        Assert.That(e.Message, Does.Contain("backbone.init_from").And.Contain("'cls_token' is [1, 1, 32] in the file but [1, 1, 48] in the encoder"));

        using var deeper = ExperimentLoader.Load(folder.Write("deep.yaml", Yaml($"depth: 3, init_from: {weights}").ReplaceOnce("name: tiny", "name: deep")));
        var missing = Assert.Throws<ExperimentError>(() => new Pretrainer(deeper, SilentTrainingDisplay.Instance).Run())!;
        Assert.That(missing.Message, Does.Contain("missing blocks.2.").And.Contain("init_strict: false"));
    }
}
