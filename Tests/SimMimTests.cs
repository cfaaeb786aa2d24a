using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Host.Config;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

/// <summary>SimMIM: random_block masking (whole blocks of patches) and the simmim target (raw pixels, L1 on masked pixels only).</summary>
public class SimMimTests
{
    static MaskPlan Blocks(int side, int block, double ratio, int batch = 4, ulong seed = 1)
    {
        using var generator = new Generator(seed);
        return new RandomBlockMasking(new RandomBlockMaskingOptions { Block = block, Ratio = ratio }).Sample(batch, new GridSize(side, side), generator);
    }

    /// <summary>Whether every block x block square of the mask (cut at the edges) is all masked or all visible; and how many are masked.</summary>
    static (bool Whole, int Masked) BlockStructure(bool[] cells, int side, int block)
    {
        bool whole = true;
        int masked = 0;
        for (int top = 0; top < side; top += block)
            for (int left = 0; left < side; left += block)
            {
                var values = new List<bool>();
                for (int r = top; r < Math.Min(side, top + block); r++)
                    for (int c = left; c < Math.Min(side, left + block); c++) values.Add(cells[r * side + c]);
                whole &= values.Distinct().Count() == 1;
                if (values[0]) masked++;
            }
        return (whole, masked);
    }

    [TestCase(8, 2, 0.6, 10, 40)]    // 16 blocks, ceil(9.6) = 10 masked, 40 patches every time
    [TestCase(14, 2, 0.6, 30, 120)]  // SimMIM's 192-pixel setting: 7x7 blocks of 2x2 patches, ceil(29.4) = 30
    [TestCase(7, 2, 0.6, 10, -1)]    // the micro ViT's 7x7 grid: 16 blocks, the edge ones cut short, so the count varies
    public void RandomBlockMasksWholeBlocksAtTheRatioRoundedUp(int side, int block, double ratio, int maskedBlocks, int maskedPatches)
    {
        var plan = Blocks(side, block, ratio, batch: 20);
        Assert.That(plan.VisibleIds, Is.Null);
        var cells = plan.Mask.data<bool>().ToArray();
        var counts = new HashSet<int>();
        for (int b = 0; b < 20; b++)
        {
            var image = cells.AsSpan(b * side * side, side * side).ToArray();
            var (whole, masked) = BlockStructure(image, side, block);
            Assert.That(whole, Is.True, $"image {b}: whole blocks only");
            Assert.That(masked, Is.EqualTo(maskedBlocks), $"image {b}");
            counts.Add(image.Count(c => c));
        }
        if (maskedPatches > 0) Assert.That(counts, Is.EqualTo(new[] { maskedPatches }));
        else Assert.That(counts.Count, Is.GreaterThan(1), "edge blocks hold fewer patches");
    }

    [Test]
    public void RandomBlockFollowsTheGeneratorAndRefusesARatioThatMasksEveryBlock()
    {
        Assert.That(Same(Blocks(7, 2, 0.6, seed: 3).Mask, Blocks(7, 2, 0.6, seed: 3).Mask), Is.True);
        Assert.That(Same(Blocks(7, 2, 0.6, seed: 3).Mask, Blocks(7, 2, 0.6, seed: 4).Mask), Is.False);
        var e = Assert.Throws<ArgumentException>(() => Blocks(7, 4, 0.9));
        Assert.That(e!.Message, Does.Contain("4 blocks").And.Contain("smaller block or ratio"));
    }

    static (SimMimTarget Target, VisionTransformer Student) Attached(int channels = 1)
    {
        var student = new VisionTransformer(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4, MaskToken = true }, new PluginContext { ImageSize = 28, Channels = channels });
        var target = new SimMimTarget();
        target.Attach(student);
        return (target, student);
    }

    [Test]
    public void TheLossIsTheMeanL1OverMaskedPixelsOnly()
    {
        using var scope = NewDisposeScope();
        var (target, student) = Attached();
        var plan = Blocks(7, 2, 0.6, batch: 2);
        var images = randn(2, 1, 28, 28);
        using (no_grad())
        {
            var head = (TorchSharp.Modules.Linear)target.TrainableModule!;
            head.weight!.zero_();
            head.bias!.zero_();
        }
        var tokens = student.EncodeWithMaskToken(images, plan.Mask).narrow(1, 1, 49);
        var loss = target.Loss(tokens, target.ComputeTargets(images, plan), plan).Loss.item<float>();
        // a zero head predicts 0, so the loss is the mean |pixel| over the masked patches' pixels
        var masked = Patches.Patchify(images, 4)[plan.Mask];
        Assert.That(loss, Is.EqualTo(masked.abs().mean().item<float>()).Within(1e-5));

        var visibleChanged = images.clone();
        var visible = plan.Mask.logical_not().reshape(2, 7, 7).repeat_interleave(4, 1).repeat_interleave(4, 2).unsqueeze(1);
        visibleChanged[visible] = visibleChanged[visible] + 5;
        Assert.That(target.Loss(tokens, target.ComputeTargets(visibleChanged, plan), plan).Loss.item<float>(), Is.EqualTo(loss).Within(1e-6),
            "pixels of visible patches are not in the loss");
    }

    [Test]
    public void OneSimMimStepEqualsPlainPyTorchWithThreeChannels()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        var (target, student) = Attached(channels: 3);
        var plan = Blocks(7, 2, 0.6, batch: 3);
        var images = randn(3, 3, 28, 28);
        var head = (TorchSharp.Modules.Linear)target.TrainableModule!;
        var tensors = new Dictionary<string, Tensor> { ["images"] = images, ["mask"] = plan.Mask.to_type(ScalarType.Float32) };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        tensors["head.weight"] = head.weight!;
        tensors["head.bias"] = head.bias!;
        var prediction = student.EncodeWithMaskToken(images, plan.Mask).narrow(1, 1, 49);
        var loss = target.Loss(prediction, target.ComputeTargets(images, plan), plan).Loss;
        loss.backward();
        tensors["loss"] = loss.detach().reshape(1);
        foreach (var (name, p) in student.named_parameters().Select(p => ("encoder." + p.name, p.parameter)).Concat(head.named_parameters().Select(p => ("head." + p.name, p.parameter))))
            tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("simmim_step_check.py", tensors, new { image = 28, patch = 4, channels = 3, width = 32, depth = 2, heads = 2 });
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        Assert.That(check.GetProperty("gradients").GetInt32(), Is.EqualTo(student.parameters().Count(p => p.requires_grad) + 2), "every trained tensor compared");
    }
}
