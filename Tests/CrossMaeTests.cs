using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>CrossMAE's decoder: mask queries attend to the visible tokens only, and a training step predicts predict_ratio of the masked patches.</summary>
public class CrossMaeTests
{
    const int Width = 32;

    static VisionTransformer Student() =>
        new(new ViTOptions { Width = Width, Depth = 2, Heads = 2, Patch = 4 }, new PluginContext { ImageSize = 28, Channels = 1 });

    static CrossDecoder Decoder(double predictRatio = 0.25, int outputWidth = 16) =>
        new(new CrossDecoderOptions { Width = 16, Depth = 2, Heads = 2, PredictRatio = predictRatio }, new DecoderShape(Width, new GridSize(7, 7), outputWidth));

    static MaskPlan Plan(int batch = 2, ulong seed = 5)
    {
        using var generator = new Generator(seed);
        return new RandomMasking(new RandomMaskingOptions { Ratio = 0.75 }).Sample(batch, new GridSize(7, 7), generator);
    }

    [Test]
    public void ATrainingStepPredictsTheFirstQuarterOfTheMaskedPatchesInThePlansOrder()
    {
        using var scope = NewDisposeScope();
        var decoder = Decoder();
        var plan = Plan();   // 12 visible, 37 masked: floor(37 x 0.25) = 9 predicted
        decoder.train(true);
        var predicted = decoder.PredictedPlan(plan);
        Assert.That(predicted.Mask.sum([1]).data<long>().ToArray(), Is.EqualTo(new long[] { 9, 9 }));
        Assert.That(predicted.MaskedIds!.data<long>().ToArray(), Is.EqualTo(plan.MaskedIds!.narrow(1, 0, 9).data<long>().ToArray()));
        var output = decoder.Decode(randn(2, 13, Width), plan.RestoreIds!);
        var rowsWithOutput = output.abs().sum([2]).gt(0);
        Assert.That(rowsWithOutput.eq(predicted.Mask).all().item<bool>(), Is.True, "outputs exactly at the predicted patches");

        decoder.train(false);
        Assert.That(decoder.PredictedPlan(plan).Mask.eq(plan.Mask).all().item<bool>(), Is.True, "in eval mode every masked patch is predicted");
    }

    [Test]
    public void MaskQueriesNeverAttendToEachOther()
    {
        // the 9 patches a training step predicts get the same outputs when all 37 are predicted (eval):
        // with attention among queries the other 28 would change them
        using var scope = NewDisposeScope();
        var decoder = Decoder();
        var plan = Plan();
        var encoded = randn(2, 13, Width);
        decoder.train(true);
        var few = decoder.Decode(encoded, plan.RestoreIds!);
        var predicted = decoder.PredictedPlan(plan).Mask.unsqueeze(-1);
        decoder.train(false);
        var all = decoder.Decode(encoded, plan.RestoreIds!);
        Assert.That((few - all * predicted).abs().max().item<float>(), Is.LessThan(1e-6f));
        Assert.That((all * plan.Mask.logical_xor(predicted.squeeze(-1)).unsqueeze(-1)).abs().sum().item<float>(), Is.GreaterThan(0f), "the others are predicted in eval mode");

        var moved = encoded.clone();
        moved[.., 3] += 1;   // one visible token
        Assert.That((decoder.Decode(moved, plan.RestoreIds!) - all).abs().max().item<float>(), Is.GreaterThan(1e-4f), "queries do read the visible tokens");
    }

    [Test]
    public void OneCrossMaeStepEqualsPlainPyTorch()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(13);
        var student = Student();
        var decoder = Decoder(outputWidth: 16);
        var target = new PixelTarget(new PixelTargetOptions { NormPix = true });
        target.Attach(student);
        var plan = Plan(batch: 3);
        var images = randn(3, 1, 28, 28);
        decoder.train(true);
        var predicted = decoder.PredictedPlan(plan);
        var prediction = decoder.Decode(student.EncodeVisible(images, plan.VisibleIds!), plan.RestoreIds!);
        var loss = target.Loss(prediction, target.ComputeTargets(images, predicted), predicted).Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["visible_ids"] = plan.VisibleIds!, ["shuffle"] = plan.RestoreIds!.argsort(1), ["loss"] = loss.detach().reshape(1),
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in decoder.state_dict()) tensors["decoder." + name] = t;
        var trained = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))).ToList();
        foreach (var (name, p) in trained) tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("crossmae_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = Width, depth = 2, heads = 2, decoder_width = 16, decoder_depth = 2, decoder_heads = 2, predict_ratio = 0.25,
        });
        Assert.That(check.GetProperty("predicted_per_image").GetInt32(), Is.EqualTo(9));
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        Assert.That(check.GetProperty("gradients").GetInt32(), Is.EqualTo(trained.Count(p => p.Item2.requires_grad)), "every trained tensor compared");
    }
}
