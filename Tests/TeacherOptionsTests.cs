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

/// <summary>
/// teacher_latent's choices the SdAE ablations and the authors' code need: what the teacher sees,
/// the cosine's axis, where the teacher starts, and which tensors weight decay spares; with a
/// one-step cross-check against SdAE written in plain PyTorch (Tests/PyTorch/sdae_step_check.py).
/// </summary>
public class TeacherOptionsTests
{
    const int Width = 32;

    static VisionTransformer Student(int width = Width, bool maskToken = false) =>
        new(new ViTOptions { Width = width, Depth = 2, Heads = 2, Patch = 4, MaskToken = maskToken }, new PluginContext { ImageSize = 28, Channels = 1 });

    static MaskPlan Folds(int batch = 2, ulong seed = 3)
    {
        using var generator = new Generator(seed);
        return new MultiFoldMasking(new MultiFoldMaskingOptions { Folds = 3, Ratio = 0.75 }).Sample(batch, new GridSize(7, 7), generator);
    }

    static TeacherLatentTarget Target(EncoderModule student, TeacherView view = TeacherView.Folds, CosineAxis axis = CosineAxis.Feature, TeacherInit init = TeacherInit.Encoder)
    {
        var target = new TeacherLatentTarget(new TeacherLatentOptions { TeacherView = view, CosineAxis = axis, TeacherInit = init });
        target.Attach(student);
        return target;
    }

    [Test]
    public void TheTokenAxisCosineRunsWithinEachFoldAsTheReferenceComputesIt()
    {
        using var scope = NewDisposeScope();
        // one image, 2 folds of 2 tokens, 1 channel: fold 1 predicts (1, 0) for (1, 0), fold 2 (3, 0) for (0, 1)
        var predicted = tensor(new float[] { 1, 0, 3, 0 }, [1, 4, 1]);
        var targets = tensor(new float[] { 1, 0, 0, 1 }, [1, 4, 1]);
        double perFold = TeacherLatentTarget.CosineLoss(predicted, targets, CosineAxis.Token, folds: 2).item<float>();
        Assert.That(perFold, Is.EqualTo(0.5).Within(1e-6), "(1 - 1) and (1 - 0), averaged");
        double overAllTokens = TeacherLatentTarget.CosineLoss(predicted, targets, CosineAxis.Token, folds: 1).item<float>();
        Assert.That(overAllTokens, Is.EqualTo(1 - 1 / Math.Sqrt(20)).Within(1e-6), "one cosine over all four tokens is what the old formula gave");
    }

    static Tensor WithPatchChanged(Tensor images, long patch)
    {
        var changed = images.clone();
        long row = patch / 7, column = patch % 7;
        changed[.., .., TensorIndex.Slice(row * 4, row * 4 + 4), TensorIndex.Slice(column * 4, column * 4 + 4)] += 1.0;
        return changed;
    }

    [Test]
    public void EachTeacherViewReadsTheTokensItShould()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var student = Student();
        var plan = Folds(batch: 1);
        var images = randn(1, 1, 28, 28);
        long otherFold = plan.Folds![0, 1, 0].item<long>(), visible = plan.VisibleIds![0, 0].item<long>();
        bool Moves(TeacherLatentTarget target, Tensor changed, int fold) =>
            !target.ComputeTargets(images, plan).narrow(1, fold * 12, 12).allclose(target.ComputeTargets(changed, plan).narrow(1, fold * 12, 12), atol: 1e-6);

        var folds = Target(student, TeacherView.Folds);
        Assert.That(Moves(folds, WithPatchChanged(images, otherFold), fold: 0), Is.False, "a fold's targets see only its own patches");
        Assert.That(Moves(folds, WithPatchChanged(images, otherFold), fold: 1), Is.True);
        Assert.That(Moves(folds, WithPatchChanged(images, visible), fold: 0), Is.False, "nor the visible ones");

        var masked = Target(student, TeacherView.Masked);
        Assert.That(Moves(masked, WithPatchChanged(images, otherFold), fold: 0), Is.True, "one sequence of every fold's patches");
        Assert.That(Moves(masked, WithPatchChanged(images, visible), fold: 0), Is.False, "but no visible patch");

        var full = Target(student, TeacherView.Full);
        Assert.That(Moves(full, WithPatchChanged(images, visible), fold: 0), Is.True, "the whole image");
        var expected = EncoderModule.GatherTokens(TeacherLatentTarget.Standardise(full.Teacher.EncodeAll(images).narrow(1, 1, 49)), plan.Folds.reshape(1, 36));
        var targets = full.ComputeTargets(images, plan);
        Assert.That(targets.shape, Is.EqualTo(new long[] { 1, 36, Width }));
        Assert.That(targets.allclose(expected, atol: 1e-5), Is.True, "read at the fold ids, in their order");
        Assert.That(masked.ComputeTargets(images, plan).shape, Is.EqualTo(new long[] { 1, 36, Width }));
    }

    [Test]
    public void APlanWithoutFoldsWorksWithTheMaskedAndFullViewsOnly()
    {
        using var scope = NewDisposeScope();
        var student = Student();
        using var generator = new Generator(1);
        var plan = new RandomMasking(new RandomMaskingOptions { Ratio = 0.75 }).Sample(2, student.Grid, generator);
        var images = randn(2, 1, 28, 28);
        var targets = Target(student, TeacherView.Full).ComputeTargets(images, plan);
        Assert.That(targets.shape, Is.EqualTo(new long[] { 2, 37, Width }), "every masked patch, as one fold");
        var e = Assert.Throws<ArgumentException>(() => Target(student).ComputeTargets(images, plan));
        Assert.That(e!.Message, Does.Contain("teacher_view masked or full"));
    }

    static double Std(Tensor t) => t.std().item<float>();

    [Test]
    public void TheReferenceTeacherStartsFromTimmsInitAndItsPositionTableMovesUnderTheEma()
    {
        using var scope = NewDisposeScope();
        var student = Student(width: 64);
        var reference = Target(student, init: TeacherInit.Reference).Teacher;
        var own = Target(student).Teacher;
        Tensor Named(EncoderModule m, string name) => m.state_dict()[name];

        Assert.That(Std(Named(reference, "blocks.0.attn.qkv.weight")), Is.EqualTo(0.02).Within(0.001), "trunc-normal(0.02)");
        Assert.That(Std(Named(own, "blocks.0.attn.qkv.weight")), Is.EqualTo(Math.Sqrt(2.0 / (64 + 192))).Within(0.005), "the backbone's Xavier draw");
        Assert.That(Named(reference, "blocks.0.attn.qkv.bias").abs().max().item<float>(), Is.Zero);
        Assert.That(Std(Named(reference, "patch_embed.weight")), Is.EqualTo(0.25 / Math.Sqrt(3)).Within(0.02), "the conv's PyTorch default: uniform within 1/sqrt(16)");
        Assert.That(Named(reference, "norm.weight").eq(1).all().item<bool>(), Is.True);
        Assert.That(Std(Named(reference, "cls_token")), Is.EqualTo(0.02).Within(0.006));

        var studentTable = Named(student, "pos_embed");
        var table = Named(reference, "pos_embed");
        Assert.That(Std(table), Is.EqualTo(0.02).Within(0.001), "a drawn table, not sin-cos");
        Assert.That(table.allclose(studentTable, atol: 0.1), Is.False);
        var before = table.clone();
        var target = new TeacherLatentTarget(new TeacherLatentOptions { TeacherInit = TeacherInit.Reference });
        target.Attach(student);
        var start = target.Teacher.state_dict()["pos_embed"].clone();
        target.Ema(0.9);
        target.Ema(0.9);
        Assert.That(target.Teacher.state_dict()["pos_embed"].allclose(start * 0.81 + studentTable * 0.19, atol: 1e-6), Is.True,
            "two EMA steps at 0.9 pull it 19% of the way to the student's table");
        Assert.That(SdAE.Testing.TensorChecks.Same(Named(own, "pos_embed"), studentTable), Is.True, "the backbone's own teacher keeps the fixed table");
        Assert.That(SdAE.Testing.TensorChecks.Same(before, table), Is.True, "another target's teacher is untouched");
    }

    [TestCase(NoDecay.VectorsAndTokens, new[] { "encoder.blocks.0.attn.qkv.weight", "decoder.decoder_pred.weight" },
        new[] { "encoder.cls_token", "encoder.mask_token", "encoder.blocks.0.attn.qkv.bias", "encoder.norm.weight", "decoder.mask_token" })]
    [TestCase(NoDecay.Vectors, new[] { "encoder.blocks.0.attn.qkv.weight", "decoder.decoder_pred.weight", "encoder.cls_token", "encoder.mask_token", "decoder.mask_token" },
        new[] { "encoder.blocks.0.attn.qkv.bias", "encoder.norm.weight", "encoder.patch_embed.bias" })]
    public void NoDecayNamesWhatWeightDecaySpares(NoDecay noDecay, string[] decayed, string[] spared)
    {
        using var scope = NewDisposeScope();
        var student = Student(maskToken: true);
        var decoder = new ViTDecoder(new ViTDecoderOptions { Width = 16, Depth = 1, Heads = 2 }, new DecoderShape(Width, student.Grid, Width));
        var parameters = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
            .Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))).ToList();
        var groups = PretrainingModel.DecayGroups(parameters, 0.05, noDecay);
        var decaying = groups.Single(g => g.WeightDecay == 0.05).Parameters.Select(p => p.Name).ToList();
        var exempt = groups.Single(g => g.WeightDecay == 0).Parameters.Select(p => p.Name).ToList();
        Assert.That(decaying, Is.SupersetOf(decayed));
        Assert.That(exempt, Is.SupersetOf(spared));
        Assert.That(decaying.Count + exempt.Count, Is.EqualTo(parameters.Count), "every trainable tensor in exactly one group");
    }

    [Test]
    public void ARunWrittenBeforeTheseKeysResumes()
    {
        const string before = "target:\n  type: teacher_latent\n  update: epoch\n  init_from_student: false\n  cosine_axis: feature\npretrain:\n  batch: 256\n";
        string now(string init) => $"target:\n  type: teacher_latent\n  update: epoch\n  teacher_init: {init}\n  teacher_view: folds\n  cosine_axis: feature\npretrain:\n  batch: 256\n  no_decay: vectors_and_tokens\n";
        Assert.That(ResolvedConfig.SameTraining(before, now("encoder")), Is.True);
        Assert.That(ResolvedConfig.SameTraining(before, now("student")), Is.False);
        Assert.That(ResolvedConfig.SameTraining(before.Replace("false", "true"), now("encoder")), Is.False, "init_from_student: true trained otherwise");
        Assert.That(ResolvedConfig.SameTraining(before, now("encoder").Replace("  batch: 256\n", "  batch: 256\n  checkpoint_every: 1\n  log_every: 5\n")), Is.True,
            "when to checkpoint and log does not change what is learnt");
    }

    [Test]
    public void OneSdaeStepEqualsPlainPyTorchForEveryTeacherViewAndLossAxis()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        var student = Student();
        var decoderOptions = new ViTDecoderOptions { Width = 16, Depth = 1, Heads = 2 };
        var decoder = new ViTDecoder(decoderOptions, new DecoderShape(Width, student.Grid, Width));
        var teacherWeights = Target(student).Teacher.state_dict();
        var plan = Folds(batch: 3);
        var images = randn(3, 1, 28, 28);
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["visible_ids"] = plan.VisibleIds!, ["restore_ids"] = plan.RestoreIds!, ["folds"] = plan.Folds!,
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in decoder.state_dict()) tensors["decoder." + name] = t;
        foreach (var (name, t) in teacherWeights) tensors["teacher." + name] = t;
        var trainable = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
            .Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))).ToList();
        foreach (var axis in new[] { CosineAxis.Feature, CosineAxis.Token })
            foreach (var view in new[] { TeacherView.Folds, TeacherView.Masked, TeacherView.Full })
            {
                var target = Target(student, view, axis);
                using (no_grad())
                    foreach (var (name, t) in target.Teacher.state_dict()) t.copy_(teacherWeights[name]);
                foreach (var (_, p) in trainable) p.grad = null;
                var prediction = decoder.Decode(student.EncodeVisible(images, plan.VisibleIds!), plan.RestoreIds!);
                var loss = target.Loss(prediction, target.ComputeTargets(images, plan), plan).Loss;
                loss.backward();
                var key = $"{axis.ToString().ToLowerInvariant()}.{view.ToString().ToLowerInvariant()}";
                tensors[$"loss.{key}"] = loss.detach().reshape(1);
                foreach (var (name, p) in trainable) tensors[$"grad.{key}.{name}"] = p.grad!.clone();
            }
        var check = PyTorchScripts.CheckStep("sdae_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = Width, depth = 2, heads = 2,
            decoder_width = decoderOptions.Width, decoder_depth = decoderOptions.Depth, decoder_heads = decoderOptions.Heads,
        });
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        var losses = check.GetProperty("losses").EnumerateObject().Select(p => p.Value.GetDouble()).ToList();
        Assert.That(losses.Distinct().Count(), Is.EqualTo(6), "each axis and view computes something different");
    }
}
