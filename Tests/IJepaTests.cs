using SdAE.Abstractions.Masking;
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

/// <summary>I-JEPA: multi-block masking with target groups, the target's own predictor and EMA target encoder, and training from YAML.</summary>
public class IJepaTests() : StripeDataFixture(trainCount: 128, testCount: 40)
{
    const int Width = 32;

    static VisionTransformer Student() =>
        new(new ViTOptions { Width = Width, Depth = 2, Heads = 2, Patch = 4 }, new PluginContext { ImageSize = 28, Channels = 1 });

    static MaskPlan Blocks(GridSize grid, int batch, ulong seed, IJepaBlockMaskingOptions? options = null)
    {
        using var generator = new Generator(seed);
        return new IJepaBlockMasking(options ?? new IJepaBlockMaskingOptions()).Sample(batch, grid, generator);
    }

    [Test]
    public void TargetBlocksAreRectanglesWithinTheScaleAndAspectRangesAndNeverInTheContext()
    {
        var grid = new GridSize(14, 14);
        var options = new IJepaBlockMaskingOptions();
        // every block shape that some scale and aspect in the ranges give
        var allowed = (from s in Enumerable.Range(0, 101) from a in Enumerable.Range(0, 101)
                       select IJepaBlockMasking.BlockShape(grid, 0.15 + 0.05 * s / 100, 0.75 + 0.75 * a / 100)).ToHashSet();
        using var scope = NewDisposeScope();
        var plan = Blocks(grid, batch: 16, seed: 5, options);
        var groups = plan.TargetGroups!;
        Assert.That(groups.shape, Is.EqualTo(new long[] { 16, 4, grid.Count }));
        var sizes = new HashSet<long>();
        for (int b = 0; b < 16; b++)
        {
            var visible = plan.VisibleIds![b].data<long>().ToHashSet();
            for (int g = 0; g < 4; g++)
            {
                var cells = groups[b, g].nonzero().select(1, 0).data<long>().Select(i => ((int)i / 14, (int)i % 14)).ToList();
                int rows = cells.Max(c => c.Item1) - cells.Min(c => c.Item1) + 1, columns = cells.Max(c => c.Item2) - cells.Min(c => c.Item2) + 1;
                Assert.That(cells, Has.Count.EqualTo(rows * columns), $"image {b} block {g}: a filled rectangle");
                Assert.That(allowed, Does.Contain((rows, columns)), $"image {b} block {g}: {rows}x{columns} is outside scale 0.15-0.2, aspect 0.75-1.5");
                Assert.That(cells.Any(c => visible.Contains(c.Item1 * 14 + c.Item2)), Is.False, $"image {b} block {g} overlaps the context the encoder sees");
                sizes.Add(cells.Count);
            }
        }
        Assert.That(sizes.Count, Is.GreaterThan(1), "blocks of different sizes in one plan");
        Assert.That(plan.VisibleIds!.shape[1], Is.GreaterThanOrEqualTo(options.MinContext));
    }

    [Test]
    public void TheContextIsASquareBlockWithoutTheTargetsCutToTheBatchsSmallest()
    {
        // one target, small; the context covers the whole grid: the visible patches are everything but the targets', cut to the smallest
        var options = new IJepaBlockMaskingOptions { Targets = 1, TargetScale = [0.1, 0.1], TargetAspect = [1, 1], ContextScale = [1, 1] };
        using var scope = NewDisposeScope();
        var plan = Blocks(new GridSize(7, 7), batch: 6, seed: 2, options);
        var targets = plan.TargetGroups!.sum([1, 2]).data<long>().ToArray();
        Assert.That(targets, Has.All.EqualTo(4L), "scale 0.1 of 49 with aspect 1 is a 2x2 block");
        Assert.That(plan.VisibleIds!.shape[1], Is.EqualTo(45), "the rest of the grid is the context");
        var tight = new IJepaBlockMaskingOptions { Targets = 4, TargetScale = [0.2, 0.2], MinContext = 45 };
        Assert.That(() => Blocks(new GridSize(7, 7), 2, 1, tight), Throws.ArgumentException.With.Message.Contains("min_context 45"));
    }

    [Test]
    public void GroupIdsListEachGroupsPatchesAscendingAndMarkThePadding()
    {
        using var scope = NewDisposeScope();
        var groups = zeros(1, 2, 6, ScalarType.Bool);
        groups[0, 0, 4] = true; groups[0, 0, 1] = true; groups[0, 0, 5] = true; groups[0, 1, 2] = true;
        var plan = new MaskPlan { Grid = new GridSize(2, 3), Mask = ones(1, 6, ScalarType.Bool), TargetGroups = groups };
        var (ids, members) = plan.GroupIds();
        Assert.That(ids.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 4, 5, 2, 0, 0 }));
        Assert.That(members.data<bool>().ToArray(), Is.EqualTo(new[] { true, true, true, true, false, false }));
    }

    [Test]
    public void ThePaddedPredictorGivesEachGroupWhatPredictingItAloneGives()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var grid = new GridSize(7, 7);
        using var predictor = new IJepaPredictor(Width, grid, width: 16, depth: 2, heads: 2, mlpRatio: 4);
        var plan = Blocks(grid, batch: 3, seed: 9);
        var (ids, members) = plan.GroupIds();
        var context = randn(3, plan.VisibleIds!.shape[1], Width);
        var all = predictor.Predict(context, plan.VisibleIds!, ids, members);
        for (int b = 0; b < 3; b++)
            for (int g = 0; g < 4; g++)
            {
                long n = members[b, g].sum().item<long>();
                var alone = predictor.Predict(context.narrow(0, b, 1), plan.VisibleIds!.narrow(0, b, 1), ids[b, g].narrow(0, 0, n).reshape(1, 1, n), ones(1, 1, n, ScalarType.Bool));
                Assert.That((all[b, g].narrow(0, 0, n) - alone[0, 0]).abs().max().item<float>(), Is.LessThan(1e-5f), $"image {b} group {g}: padding leaks into the prediction");
            }
        // the outputs land on the target positions: the same group read in another order gives the same rows, reordered
        var reversed = ids.flip(2);
        var flipped = predictor.Predict(context, plan.VisibleIds!, reversed, members.flip(2));
        long full = members[0, 0].sum().item<long>();
        if (full == ids.shape[2])
            Assert.That((flipped[0, 0] - all[0, 0].flip(0)).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void IJepaWithoutTargetBlocksIsRefusedBeforeTraining()
    {
        var e = Assert.Catch(() =>
        {
            using var loaded = ExperimentLoader.Load(folder.Write("random.yaml", Tiny("random", "{ masking: { type: random, ratio: 0.75 } }")));
            var context = new PluginContext { ImageSize = 28, Channels = 1, ClassCount = 10 };
            using var model = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, context);
            model.Check(loaded.Experiment, context);
        })!;
        Assert.That(e, Is.InstanceOf<ExperimentError>());
        Assert.That(e.Message, Does.Contain("ijepa_blocks"));
    }

    [Test]
    public void IJepaTrainsFromYamlAndMovesItsTargetEncoder()
    {
        using var loaded = ExperimentLoader.Load(folder.Write("ijepa.yaml", Tiny("ijepa", "{}")));
        using var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run();
        Assert.That(outcome.EpochLosses.Single(), Is.GreaterThan(0).And.LessThan(10));
        var context = new PluginContext { ImageSize = 28, Channels = 1 };
        using var fresh = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, context);
        using var trained = PretrainingModel.Build(loaded.Experiment, loaded.Catalog, context);
        trained.LoadWeights(SdAE.Host.Runs.RunFolder.For(loaded.Experiment), loaded.Experiment.Pretrain, _ => { });
        var before = fresh.StateTensors().ToDictionary(t => t.Name, t => t.Tensor);
        float Moved(string prefix) => trained.StateTensors().Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && t.Tensor.is_floating_point())
            .Max(t => (t.Tensor - before[t.Name]).abs().max().item<float>());
        Assert.That(Moved("target.predictor_blocks."), Is.GreaterThan(1e-4f), "the predictor is trained and saved");
        Assert.That(Moved("target_state.blocks."), Is.GreaterThan(0f), "the target encoder follows the student and is saved");
    }

    [Test]
    public void OneIJepaStepEqualsPlainPyTorch()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(29);
        var student = Student();
        var target = new IJepaTarget(new IJepaOptions { PredictorWidth = 16, PredictorDepth = 2, PredictorHeads = 2 });
        target.Attach(student);
        using (no_grad())   // a target encoder apart from the student, as after some EMA steps
            foreach (var p in target.Teacher.parameters()) p.add_(randn_like(p) * 0.05);
        var plan = Blocks(student.Grid, batch: 3, seed: 12);
        var images = randn(3, 1, 28, 28);
        var targets = target.ComputeTargets(images, plan);
        var loss = target.Loss(student.EncodeVisible(images, plan.VisibleIds!), targets, plan).Loss;
        loss.backward();
        var tensors = new Dictionary<string, Tensor>
        {
            ["images"] = images, ["visible_ids"] = plan.VisibleIds!, ["groups"] = plan.TargetGroups!.to_type(ScalarType.Float32),
            ["loss"] = loss.detach().reshape(1), ["targets"] = targets,
        };
        foreach (var (name, t) in student.state_dict()) tensors["encoder." + name] = t;
        foreach (var (name, t) in target.Teacher.state_dict()) tensors["teacher." + name] = t;
        foreach (var (name, t) in target.Predictor.state_dict()) tensors["predictor." + name] = t;
        var trained = student.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
            .Concat(target.Predictor.named_parameters().Select(p => ("predictor." + p.name, p.parameter))).ToList();
        foreach (var (name, p) in trained) tensors["grad." + name] = p.grad!.clone();
        var check = PyTorchScripts.CheckStep("ijepa_step_check.py", tensors, new
        {
            image = 28, patch = 4, channels = 1, width = Width, depth = 2, heads = 2, predictor_width = 16, predictor_depth = 2, predictor_heads = 2, mlp_ratio = 4.0,
        });
        Assert.That(check.GetProperty("max_target_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5), "the target encoder's targets");
        Assert.That(check.GetProperty("max_loss_diff").GetDouble(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(check.GetProperty("max_grad_diff").GetDouble(), Is.LessThanOrEqualTo(1e-4));
        Assert.That(check.GetProperty("gradients").GetInt32(), Is.EqualTo(trained.Count(p => p.Item2.requires_grad)));
    }

    string Tiny(string output, string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 1, trainLimit: 128)
        .Overlay("{ backbone: { patch: 4, drop_path: 0 }, masking: { type: ijepa_blocks }, target: { type: ijepa, predictor_width: 16, predictor_depth: 1 } }")
        .Overlay(extra);
}
