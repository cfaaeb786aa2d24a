using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>
/// AttMask lives out of tree (samples/AttMask, made from the masking template, built against the
/// packed SDK only, with its own conformance and ranking tests). Here: it builds and its tests pass,
/// the host gives it the teacher's attention as the guide, and one step with it equals PyTorch.
/// </summary>
public class AttMaskSampleTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    [Test]
    public void TheSampleBuildsFromThePackedFeedAndItsOwnTestsPass()
    {
        var build = Samples.Build();
        Assert.That(build.Output, Does.Match(@"Passed!\s+-\s+Failed:\s+0,\s+Passed:\s+[6-9]"), "the sample's conformance and ranking tests ran");
        var output = Path.GetDirectoryName(Samples.AttMaskPlugin)!;
        Assert.That(Directory.GetFiles(output).Select(Path.GetFileName), Does.Contain("AttMask.dll").And.Not.Contain("TorchSharp.dll").And.Not.Contain("SdAE.Abstractions.dll"),
            "the plugin ships its own assembly, not what it shares with the host");
        var project = File.ReadAllText(Path.Combine(Samples.Repository, "samples", "AttMask", "AttMask", "AttMask.csproj"));
        Assert.That(project, Does.Contain("PackageReference Include=\"SdAE.Abstractions\"").And.Not.Contain("ProjectReference"), "built against the package, not the repository");
    }

    [Test]
    public void ItsExperimentTrainsAnEpochThroughPlugins()
    {
        Samples.Build();
        var runs = Path.Combine(folder.Path, "runs");
        var (exitCode, errors, output) = SdaeCommand.InProcess("run", Path.Combine(Samples.Repository, "samples", "AttMask", "experiment.yaml"),
            "device=cpu", $"output={runs}", "data.type=mnist", $"data.root={dataRoot}", "data.train_limit=64", "data.test_limit=20",
            "pretrain.epochs=1", "pretrain.batch=32", "eval=[{ type: knn }]");
        Assert.That(exitCode, Is.EqualTo(0), errors + output);
        Assert.That(File.Exists(Path.Combine(runs, "attmask_sample", "default", "results.json")), Is.True, output);
    }

    string Tiny(string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64, extra: $"plugins: [{Samples.AttMaskPlugin}]")
        .Overlay("{ backbone: { drop_path: 0.5 }, masking: { type: attmask, mode: high, ratio: 0.75, folds: 3 }, target: { type: teacher_latent } }")
        .Overlay(extra);

    static PluginContext Context => new() { ImageSize = 28, Channels = 1, ClassCount = 10 };

    [Test]
    public void TheGuideIsTheTeachersAttentionWithoutGradientsInEvalMode()
    {
        using var loaded = ExperimentLoader.Load(folder.Write("guided.yaml", Tiny("{}")));
        using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, Context);
        using var scope = NewDisposeScope();
        var teacher = ((ITeacherProvider)model.Target).Teacher;
        teacher.train(true);   // even a teacher left in training mode (drop path 0.5) is read in eval mode
        model.Train(true);
        var images = randn(4, 1, 28, 28);
        var guide = model.Guide(images);
        Assert.That(guide.requires_grad, Is.False);
        int patches = model.Encoder.Grid.Count, masked = patches - (int)(patches * 0.25);
        Assert.That(guide.shape, Is.EqualTo(new long[] { 4, patches }));
        Assert.That((guide - model.Guide(images)).abs().max().item<float>(), Is.EqualTo(0f), "no drop path: eval mode");
        Assert.That(teacher.training, Is.True, "the teacher's mode is restored");
        teacher.eval();
        Assert.That((guide - teacher.ClsAttention(images)).abs().max().item<float>(), Is.LessThan(1e-6f));
        using var generator = new Generator(0);
        var plan = model.SamplePlan(4, generator, images);
        var top = guide.argsort(1, descending: true).narrow(1, 0, masked);
        Assert.That(plan.Mask.gather(1, top).all().item<bool>(), Is.True, "the plan masks what the guide ranks highest");
    }

    [Test]
    public void GuidedMaskingWithATargetWithoutTeacherIsRefusedAtLoad()
    {
        var e = Assert.Throws<UserError>(() =>
        {
            using var loaded = ExperimentLoader.Load(folder.Write("pixel.yaml", Tiny("{ target: { type: pixel } }")));
            using var _ = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, Context);
        })!;
        Assert.That(e.Message, Does.Contain("attmask").And.Contain("teacher"));
    }

    [Test]
    public void OneAttMaskHighStepEqualsPlainPyTorchAttentionMapIncluded()
    {
        torch.manual_seed(23);
        const int DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2;
        using var loaded = ExperimentLoader.Load(folder.Write("step.yaml", Tiny($$"""
            { backbone: { patch: 4, drop_path: 0.0 }, decoder: { width: {{DecoderWidth}}, depth: {{DecoderDepth}}, heads: {{DecoderHeads}} } }
            """)));
        using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, Context);
        using var scope = NewDisposeScope();
        var teacher = ((ITeacherProvider)model.Target).Teacher;
        var images = randn(3, 1, 28, 28);
        var attention = model.Guide(images);
        using var generator = new Generator(3);
        var plan = ((IGuidedMasking)model.Masking).Sample(3, model.Encoder.Grid, generator, attention);
        var loss = model.Forward(images, plan).Loss.Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["attention"] = attention, ["mask"] = plan.Mask.to_type(ScalarType.Float32), ["visible_ids"] = plan.VisibleIds!,
            ["restore_ids"] = plan.RestoreIds!, ["folds"] = plan.Folds!, ["loss"] = loss.detach().reshape(1),
        };
        foreach (var (name, t) in model.Encoder.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in model.Decoder!.state_dict()) tensors["decoder." + name] = t;
        foreach (var (name, t) in teacher.state_dict()) tensors["teacher." + name] = t;
        foreach (var (name, p) in model.Encoder.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(model.Decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))))
            tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("attmask_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = 32, depth = 2, heads = 2, masked = 37,
            decoder_width = DecoderWidth, decoder_depth = DecoderDepth, decoder_heads = DecoderHeads,
        });
        Assert.That(check.GetProperty("max_attention_diff").GetDouble(), Is.LessThanOrEqualTo(1e-6), "the attention map it masks by");
        Assert.That(check.GetProperty("mask_mismatches").GetInt32(), Is.EqualTo(0));
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
    }
}
