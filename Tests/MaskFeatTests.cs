using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

/// <summary>MaskFeat: HOG on tensors and the hog target (mask-token encoder, a linear head to each masked patch's descriptor).</summary>
public class MaskFeatTests
{
    [Test]
    public void AVerticalEdgeFillsOneOrientationBinAndAFlatImageGivesZeros()
    {
        // dark left half, bright right half: the gradient is horizontal, orientation 0, bin 0, on the two columns beside the edge
        var edge = zeros(1, 1, 8, 8);
        edge[.., .., .., TensorIndex.Slice(4)] = 1;
        var histograms = Hog.CellHistograms(edge, cell: 2, bins: 9);   // [1, 1, 9, 4, 4]
        Assert.That(histograms.shape, Is.EqualTo(new long[] { 1, 1, 9, 4, 4 }));
        Assert.That(histograms[0, 0, 0].sum().item<float>(), Is.EqualTo(16f), "columns 3 and 4 of 8 rows, each |gx| = 1 - 0");
        Assert.That(histograms.narrow(2, 1, 8).abs().sum().item<float>(), Is.EqualTo(0f), "no other orientation");
        Assert.That(histograms[0, 0, 0, .., 1].sum().item<float>() + histograms[0, 0, 0, .., 2].sum().item<float>(), Is.EqualTo(16f), "only the cells beside the edge");

        var bright = 1 - edge;   // the other way round: atan2(0, -1) = pi, the same unsigned orientation
        Assert.That(Hog.CellHistograms(bright, 2, 9)[0, 0, 0].sum().item<float>(), Is.EqualTo(16f));

        var horizontal = edge.transpose(2, 3);   // a horizontal edge: orientation 90 degrees, bin 4 of 9 (80-100)
        Assert.That(Hog.CellHistograms(horizontal, 2, 9)[0, 0, 4].sum().item<float>(), Is.EqualTo(16f));

        var flat = full(1, 3, 8, 8, 0.7f);
        Assert.That(Hog.PatchDescriptors(flat, 4, 2, 9, HogNormalization.Block).abs().sum().item<float>(), Is.EqualTo(0f), "a flat image has no gradient");
    }

    [TestCase(HogNormalization.Block)]
    [TestCase(HogNormalization.Cell)]
    public void DescriptorsAreL2NormalisedPerBlockOrPerCell(HogNormalization normalization)
    {
        var images = randn(2, 3, 8, 8);
        var descriptors = Hog.PatchDescriptors(images, patch: 4, cell: 2, bins: 9, normalization);
        Assert.That(descriptors.shape, Is.EqualTo(new long[] { 2, 4, 3 * 4 * 9 }), "4 patches, 3 channels x 2x2 cells x 9 bins each");
        var units = normalization == HogNormalization.Block ? descriptors.reshape(2, 4, 3, 36) : descriptors.reshape(2, 4, 3, 4, 9);
        var norms = units.norm(-1);
        Assert.That((norms - 1).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void OneMaskFeatStepEqualsPlainPyTorchWithThreeChannels()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(17);
        var student = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4, MaskToken = true }, new PluginContext { ImageSize = 28, Channels = 3 });
        var target = new HogTarget(new HogTargetOptions { Cell = 2, Bins = 9 });
        target.Attach(student);
        using var generator = new Generator(2);
        var plan = new BlockwiseMasking(new BlockwiseMaskingOptions { Ratio = 0.4 }).Sample(3, student.Grid, generator);
        var images = randn(3, 3, 28, 28);
        var head = (TorchSharp.Modules.Linear)target.TrainableModule!;
        var targets = target.ComputeTargets(images, plan);
        var loss = target.Loss(student.EncodeWithMaskToken(images, plan.Mask).narrow(1, 1, 49), targets, plan).Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["mask"] = plan.Mask.to_type(ScalarType.Float32), ["loss"] = loss.detach().reshape(1), ["targets"] = targets,
            ["head.weight"] = head.weight!, ["head.bias"] = head.bias!,
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        var trained = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(head.named_parameters().Select(p => ("head." + p.name, p.parameter))).ToList();
        foreach (var (name, p) in trained) tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("maskfeat_step_check.py", tensors, new { image = 28, patch = 4, channels = 3, width = 32, depth = 2, heads = 2, cell = 2, bins = 9 });
        Assert.That(check.GetProperty("max_target_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5), "the HOG descriptors");
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        Assert.That(check.GetProperty("gradients").GetInt32(), Is.EqualTo(trained.Count(p => p.Item2.requires_grad)));
    }
}
