using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Host.Runs;
using SdAE.Plugins.Masking;
using static TorchSharp.torch;
using static SdAE.Tests.Support.TensorAssert;

namespace SdAE.Tests.Conformance;

/// <summary>Every reconstruction target: attaches to a student, computes finite targets and a finite loss that back-propagates, and its state survives a checkpoint.</summary>
public class TargetConformance
{
    static IEnumerable<TestCaseData> Targets() => RegisteredPlugins.OfKind(PluginKind.Target);

    /// <summary>Multi-fold plans carry everything any target reads: the boolean mask, the ids and the folds.</summary>
    static MaskPlan Plan(int batch)
    {
        using var generator = new Generator(3);
        return new MultiFoldMasking(new MultiFoldMaskingOptions()).Sample(batch, new GridSize(7, 7), generator);
    }

    [TestCaseSource(nameof(Targets))]
    public void ComputesFiniteTargetsAndALossThatBackPropagates(string name)
    {
        using var student = RegisteredPlugins.TinyEncoder();
        using var target = RegisteredPlugins.Create<IReconstructionTarget>(PluginKind.Target, name);
        using var train = (IDisposable)RegisteredPlugins.RandomImages(64, seed: 1);
        int width = target.PredictionWidth(student);
        Assert.That(width, Is.GreaterThan(0));
        target.Attach(student);
        target.Prepare((Abstractions.Data.IImageDataset)train);
        using var scope = NewDisposeScope();
        var images = ((Abstractions.Data.IImageDataset)train).Images(arange(4L));
        var plan = Plan(4);
        var targets = target.ComputeTargets(images, plan);
        Assert.That(targets.requires_grad, Is.False, "targets are computed without gradients");
        if (targets.is_floating_point()) Assert.That(targets.isfinite().all().item<bool>(), Is.True, "finite targets");
        var prediction = randn(4, 49, width).requires_grad_();
        var loss = target.Loss(prediction, targets, plan);
        Assert.That(loss.Loss.numel(), Is.EqualTo(1));
        Assert.That(double.IsFinite(loss.Loss.item<float>()), Is.True, "a finite loss");
        loss.Loss.backward();
        Assert.That(prediction.grad, Is.Not.Null);
        Assert.That(prediction.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), "the loss depends on the prediction");
        foreach (var (metric, value) in loss.Metrics ?? new Dictionary<string, Tensor>())
            Assert.That(double.IsFinite(value.item<float>()), Is.True, metric);
    }

    [TestCaseSource(nameof(Targets))]
    public void ItsStateSurvivesACheckpointRoundTrip(string name)
    {
        using var student = RegisteredPlugins.TinyEncoder();
        using var saved = RegisteredPlugins.Create<IReconstructionTarget>(PluginKind.Target, name);
        using var restored = RegisteredPlugins.Create<IReconstructionTarget>(PluginKind.Target, name);
        saved.Attach(student);
        restored.Attach(student);
        if (saved.StateModule is null)
        {
            Assert.That(restored.StateModule, Is.Null);
            return;
        }
        using (no_grad())
            foreach (var (_, tensor) in saved.StateModule.state_dict().Where(p => p.Value.is_floating_point()))
                tensor.add_(0.5);   // a state no fresh target has, so a load that does nothing fails
        using var folder = new Support.TempFolder();
        var path = Path.Combine(folder.Path, "target.ckpt");
        var header = new CheckpointHeader(1, 1, 1, name, 0);
        Checkpoint.Save(path, path + ".previous", header, saved.StateModule.state_dict().Select(p => (p.Key, p.Value)));
        Checkpoint.Load(path, restored.StateModule!.state_dict().Select(p => (p.Key, p.Value)));
        var expected = saved.StateModule.state_dict();
        foreach (var (key, tensor) in restored.StateModule.state_dict())
            Assert.That(Same(tensor, expected[key]), Is.True, key);
    }
}
