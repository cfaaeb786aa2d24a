using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;
using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

/// <summary>data2vec 2.0: inverse block masking, the teacher's averaged block targets, several masks per image sharing one teacher pass, the convolutional decoder.</summary>
public class Data2VecTests() : StripeDataFixture(trainCount: 128, testCount: 40)
{
    const int Width = 32;

    static VisionTransformer Student() =>
        new(new ViTOptions { Width = Width, Depth = 3, Heads = 2, Patch = 4 }, new PluginContext { ImageSize = 28, Channels = 1 });

    static MaskPlan Inverse(double ratio, int block, int batch = 4, ulong seed = 1)
    {
        using var generator = new Generator(seed);
        return new InverseBlockMasking(new InverseBlockMaskingOptions { Ratio = ratio, Block = block }).Sample(batch, new GridSize(7, 7), generator);
    }

    [Test]
    public void InverseBlockMaskingKeepsSquareBlocksVisibleAndExactlyTheVisibleCount()
    {
        // 9 of 49 visible with 3x3 blocks: the first block covers them all, so the visible patches are one square
        var plan = Inverse(ratio: 0.8163, block: 3, batch: 10);
        for (int b = 0; b < 10; b++)
        {
            var visible = plan.VisibleIds![b].data<long>().Select(i => ((int)i / 7, (int)i % 7)).ToList();
            Assert.That(visible, Has.Count.EqualTo(9));
            int top = visible.Min(p => p.Item1), left = visible.Min(p => p.Item2);
            Assert.That(visible.Max(p => p.Item1) - top, Is.EqualTo(2), $"image {b}: a 3x3 square");
            Assert.That(visible.Max(p => p.Item2) - left, Is.EqualTo(2), $"image {b}: a 3x3 square");
        }
        var wider = Inverse(ratio: 0.6, block: 2, batch: 10);   // int(49 x 0.4) = 19 visible, covered by 2x2 squares
        Assert.That(wider.Mask.logical_not().sum([1]).data<long>().ToArray(), Has.All.EqualTo(19L));
        Assert.That(() => Inverse(0.8, block: 8), Throws.ArgumentException.With.Message.Contains("do not fit a 7x7 grid"));
    }

    [Test]
    public void TargetsAreTheMeanOfTheTopBlocksEachNormalisedPerChannelOverTheTokens()
    {
        using var scope = NewDisposeScope();
        var target = new Data2VecTarget(new Data2VecOptions { TopK = 2, MasksPerImage = 1 });
        target.Attach(Student());
        var images = randn(2, 1, 28, 28);
        var targets = target.TeacherTargets(images);
        var maps = target.Teacher.DenseFeatures(images, [1, 2]).Select(m => m.flatten(2)).ToList();   // [B, D, L] after blocks 1 and 2 of 3
        var expected = maps.Select(m => (m - m.mean([2], keepdim: true)) / (m.var(2, unbiased: false, keepdim: true) + 1e-5).sqrt())
            .Aggregate((a, b) => a + b).div(2).transpose(1, 2);
        Assert.That(targets.shape, Is.EqualTo(new long[] { 2, 49, Width }));
        Assert.That((targets - expected).abs().max().item<float>(), Is.LessThan(1e-5f));

        var changed = images.clone();
        changed[0, 0, TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 4)] += 3;   // patch 0 only
        var moved = (target.TeacherTargets(changed) - targets)[0, 48].abs().max().item<float>();
        Assert.That(moved, Is.GreaterThan(1e-4f), "the teacher sees every patch: the far corner's target moves with patch 0");
    }

    [Test]
    public void SeveralMasksPerImageShareOneTeacherPassOverTheImages()
    {
        using var scope = NewDisposeScope();
        var target = new Data2VecTarget(new Data2VecOptions { TopK = 2, MasksPerImage = 3 });
        var student = new CountingViT(Student());
        target.Attach(student);
        var teacher = (CountingViT)target.Teacher;
        using var generator = new Generator(4);
        var plan = new RandomMasking(new RandomMaskingOptions { Ratio = 0.75 }).Sample(2 * 3, student.Grid, generator).WithMasksPerImage(3);
        var targets = target.ComputeTargets(randn(2, 1, 28, 28), plan);
        Assert.That(teacher.DenseBatches, Is.EqualTo(new[] { 2L }), "one teacher pass over the 2 images, not 6");
        Assert.That(targets.shape[0], Is.EqualTo(6), "a target row per plan row");
        Assert.That(Same(targets[0], targets[2]) && Same(targets[3], targets[5]) && !Same(targets[0], targets[3]), Is.True, "rows 0-2 are image 0's, rows 3-5 image 1's");
    }

    string Tiny(string output, string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 1, trainLimit: 128)
        .Overlay("{ backbone: { drop_path: 0 }, decoder: { type: conv_decoder, width: 16, depth: 2, groups: 4 }, masking: { type: inverse_block, ratio: 0.8, block: 3 }, " +
                 "target: { type: data2vec, top_k: 2, masks_per_image: 2 } }")
        .Overlay(extra);

    [Test]
    public void TwoMasksPerImageTrainAndAccumulateAsTheWholeBatch()
    {
        using var whole = ExperimentLoader.Load(folder.Write("whole.yaml", Tiny("whole", "{}")));
        using var micro = ExperimentLoader.Load(folder.Write("micro.yaml", Tiny("micro", "{ pretrain: { accumulate: 4 } }")));
        foreach (var loaded in new[] { whole, micro })
            using (var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run())
                Assert.That(outcome.EpochLosses.Single(), Is.GreaterThan(0).And.LessThan(10));
        var wholeLosses = SameTraining.StepLosses(RunFolder.For(whole.Experiment));
        var microLosses = SameTraining.StepLosses(RunFolder.For(micro.Experiment));
        Assert.That(microLosses, Has.Count.EqualTo(wholeLosses.Count));
        for (int i = 0; i < wholeLosses.Count; i++)
            Assert.That(microLosses[i], Is.EqualTo(wholeLosses[i]).Within(1e-5), $"step {i + 1}: a micro-batch takes its images' masks");
        Assert.That(SameTraining.CheckpointDifferences(whole, micro).Where(d => d.Difference > 1e-5).Select(d => d.Name), Is.Empty, "student and teacher alike");
    }

    [Test]
    public void OneData2VecStepWithTwoMasksPerImageEqualsPlainPyTorch()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(19);
        var student = Student();
        var target = new Data2VecTarget(new Data2VecOptions { TopK = 2, MasksPerImage = 2 });
        target.Attach(student);
        using (no_grad())   // a teacher apart from the student, as after some EMA steps
            foreach (var p in target.Teacher.parameters()) p.add_(randn_like(p) * 0.05);
        var decoderOptions = new ConvDecoderOptions { Width = 16, Depth = 2, Groups = 4, Kernel = 3 };
        var decoder = new ConvDecoder(decoderOptions, new DecoderShape(Width, student.Grid, Width));
        using var generator = new Generator(6);
        var plan = new InverseBlockMasking(new InverseBlockMaskingOptions { Ratio = 0.8, Block = 3 }).Sample(3 * 2, student.Grid, generator).WithMasksPerImage(2);
        var images = randn(3, 1, 28, 28);
        var targets = target.ComputeTargets(images, plan);
        var prediction = decoder.Decode(student.EncodeVisible(images.repeat_interleave(2, 0), plan.VisibleIds!), plan.RestoreIds!);
        var loss = target.Loss(prediction, targets, plan).Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["visible_ids"] = plan.VisibleIds!, ["restore_ids"] = plan.RestoreIds!, ["mask"] = plan.Mask.to_type(ScalarType.Float32),
            ["loss"] = loss.detach().reshape(1), ["targets"] = targets,
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in target.Teacher.state_dict()) tensors["teacher." + name] = t;
        foreach (var (name, t) in decoder.state_dict()) tensors["decoder." + name] = t;
        var trained = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))).ToList();
        foreach (var (name, p) in trained) tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("data2vec_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = Width, depth = 3, heads = 2, top_k = 2, masks_per_image = 2,
            decoder_width = 16, decoder_depth = 2, kernel = 3, groups = 4,
        });
        Assert.That(check.GetProperty("max_target_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5), "the teacher's targets");
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        Assert.That(check.GetProperty("gradients").GetInt32(), Is.EqualTo(trained.Count(p => p.Item2.requires_grad)));
    }
}
