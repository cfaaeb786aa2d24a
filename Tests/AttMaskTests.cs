using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>AttMask: masking by the teacher's [CLS] attention (high, hint, low), the guide the host gives it, and one step against PyTorch.</summary>
public class AttMaskTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    /// <summary>A constructed attention map on a 7x7 grid: patch i gets weight i, so the ranking is known.</summary>
    static Tensor Ramp(int batch) => arange(49, dtype: ScalarType.Float32).expand(batch, -1).contiguous() / 49;

    static MaskPlan Draw(AttMaskMode mode, double hints = 0.1, ulong seed = 1, int folds = 1)
    {
        using var generator = new Generator(seed);
        return new AttMaskMasking(new AttMaskOptions { Mode = mode, Ratio = 0.75, Hints = hints, Folds = folds }).Sample(3, new GridSize(7, 7), generator, Ramp(3));
    }

    static HashSet<long> Masked(MaskPlan plan, int image) => plan.MaskedIds![image].data<long>().ToHashSet();

    [Test]
    public void HighMasksTheMostAttendedPatchesAndLowTheLeast()
    {
        // 12 visible, 37 masked: high masks patches 12-48 (the largest weights), low 0-36
        for (int b = 0; b < 3; b++)
        {
            Assert.That(Masked(Draw(AttMaskMode.High), b), Is.EquivalentTo(Enumerable.Range(12, 37).Select(i => (long)i)));
            Assert.That(Masked(Draw(AttMaskMode.Low), b), Is.EquivalentTo(Enumerable.Range(0, 37).Select(i => (long)i)));
        }
    }

    [Test]
    public void HintLeavesTheStatedShareOfTheTopPatchesVisibleAtRandom()
    {
        // round(37 x 0.2) = 7 of the top 37 stay visible; the next 7 ranked (patches 5-11) are masked instead
        var top = Enumerable.Range(12, 37).Select(i => (long)i).ToHashSet();
        var drawn = new List<HashSet<long>>();
        foreach (ulong seed in new ulong[] { 1, 2 })
        {
            var plan = Draw(AttMaskMode.Hint, hints: 0.2, seed: seed);
            for (int b = 0; b < 3; b++)
            {
                var masked = Masked(plan, b);
                Assert.That(masked, Has.Count.EqualTo(37));
                Assert.That(top.Except(masked).Count(), Is.EqualTo(7), "7 hints among the most attended");
                Assert.That(masked.Except(top), Is.EquivalentTo(Enumerable.Range(5, 7).Select(i => (long)i)), "the next-ranked patches masked instead");
                drawn.Add(top.Except(masked).ToHashSet());
            }
        }
        Assert.That(drawn.Select(h => string.Join(",", h.Order())).Distinct().Count(), Is.GreaterThan(1), "the hints are drawn at random");
    }

    [Test]
    public void FoldsSplitTheMaskedPatchesAsMultiFoldDoes()
    {
        var plan = Draw(AttMaskMode.High, folds: 3);
        Assert.That(plan.Folds!.shape, Is.EqualTo(new long[] { 3, 3, 12 }), "37 masked: 3 folds of 12");
        Assert.That(plan.Mask.gather(1, plan.Folds!.reshape(3, -1)).all().item<bool>(), Is.True);
    }

    string Tiny(string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64)
        .Overlay("{ backbone: { drop_path: 0.5 }, masking: { type: attmask, mode: high, ratio: 0.75, folds: 3 }, target: { type: teacher_latent } }")
        .Overlay(extra);

    [Test]
    public void TheGuideIsTheTeachersAttentionWithoutGradientsInEvalMode()
    {
        using var loaded = ExperimentLoader.Load(folder.Write("guided.yaml", Tiny("{}")));
        using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, new PluginContext { ImageSize = 28, Channels = 1, ClassCount = 10 });
        using var scope = NewDisposeScope();
        var teacher = ((SdAE.Abstractions.Targets.ITeacherProvider)model.Target).Teacher;
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
            using var _ = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, new PluginContext { ImageSize = 28, Channels = 1, ClassCount = 10 });
        })!;
        Assert.That(e.Message, Does.Contain("attmask").And.Contain("teacher"));
    }

    [Test]
    public void OneAttMaskHighStepEqualsPlainPyTorchAttentionMapIncluded()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(23);
        var student = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4 }, new PluginContext { ImageSize = 28, Channels = 1 });
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        var decoderOptions = new ViTDecoderOptions { Width = 16, Depth = 1, Heads = 2 };
        var decoder = new ViTDecoder(decoderOptions, new DecoderShape(32, student.Grid, 32));
        var images = randn(3, 1, 28, 28);
        var attention = no_grad_attention(target.Teacher, images);
        using var generator = new Generator(3);
        var plan = new AttMaskMasking(new AttMaskOptions { Mode = AttMaskMode.High, Ratio = 0.75, Folds = 3 }).Sample(3, student.Grid, generator, attention);
        var prediction = decoder.Decode(student.EncodeVisible(images, plan.VisibleIds!), plan.RestoreIds!);
        var loss = target.Loss(prediction, target.ComputeTargets(images, plan), plan).Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["attention"] = attention, ["mask"] = plan.Mask.to_type(ScalarType.Float32), ["visible_ids"] = plan.VisibleIds!,
            ["restore_ids"] = plan.RestoreIds!, ["folds"] = plan.Folds!, ["loss"] = loss.detach().reshape(1),
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in decoder.state_dict()) tensors["decoder." + name] = t;
        foreach (var (name, t) in target.Teacher.state_dict()) tensors["teacher." + name] = t;
        foreach (var (name, p) in student.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))))
            tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("attmask_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = 32, depth = 2, heads = 2, masked = 37,
            decoder_width = decoderOptions.Width, decoder_depth = decoderOptions.Depth, decoder_heads = decoderOptions.Heads,
        });
        Assert.That(check.GetProperty("max_attention_diff").GetDouble(), Is.LessThanOrEqualTo(1e-6), "the attention map it masks by");
        Assert.That(check.GetProperty("mask_mismatches").GetInt32(), Is.EqualTo(0));
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
    }

    static Tensor no_grad_attention(EncoderModule teacher, Tensor images)
    {
        using var _ = no_grad();
        return teacher.ClsAttention(images);
    }
}
