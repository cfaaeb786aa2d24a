using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Targets;
using TorchSharp;
using static SdAE.Testing.TensorChecks;
using static TorchSharp.torch;

namespace SdAE.Testing;

/// <summary>
/// A reconstruction target's contract: it attaches to a student, computes finite targets without
/// gradients and a finite scalar loss that back-propagates to the prediction, and its state
/// survives a save and load. Derive and return your target.
/// </summary>
public abstract class TargetConformance : PluginConformance
{
    protected abstract IReconstructionTarget CreateTarget();

    /// <summary>The student the target attaches to; a small probe encoder unless overridden.</summary>
    protected virtual EncoderModule CreateStudent() => new ProbeEncoder(Context);

    [Test]
    public void ComputesFiniteTargetsAndALossThatBackPropagates()
    {
        using var student = CreateStudent();
        using var target = CreateTarget();
        using var train = new ProbeImages(64, seed: 1, Context.Channels, Context.ImageSize, Context.ClassCount);
        int width = target.PredictionWidth(student);
        Assert.That(width, Is.GreaterThan(0));
        target.Attach(student);
        target.Prepare(train);
        using var scope = NewDisposeScope();
        var images = train.Images(arange(4L));
        var plan = ProbePlans.MultiFold(4, student.Grid);
        var targets = target.ComputeTargets(images, plan);
        Assert.That(targets.requires_grad, Is.False, "targets are computed without gradients");
        if (targets.is_floating_point()) Assert.That(targets.isfinite().all().item<bool>(), Is.True, "finite targets");
        // what the target predicts from: per-patch outputs, or (a target with its own predictor) the encoder's output for the visible tokens
        long rows = UsesEncoderInputAttribute.Of(target.GetType()) == EncoderInput.ContextTokens ? 1 + plan.VisibleIds!.shape[1] : student.Grid.Count;
        var prediction = randn(4, rows, width).requires_grad_();
        var loss = target.Loss(prediction, targets, plan);
        Assert.That(loss.Loss.numel(), Is.EqualTo(1));
        Assert.That(double.IsFinite(loss.Loss.item<float>()), Is.True, "a finite loss");
        loss.Loss.backward();
        Assert.That(prediction.grad, Is.Not.Null);
        Assert.That(prediction.grad!.abs().sum().item<float>(), Is.GreaterThan(0f), "the loss depends on the prediction");
        foreach (var (metric, value) in loss.Metrics ?? new Dictionary<string, Tensor>())
            Assert.That(double.IsFinite(value.item<float>()), Is.True, metric);
    }

    [Test]
    public void ItsStateSurvivesASaveAndLoad()
    {
        using var student = CreateStudent();
        using var saved = CreateTarget();
        using var restored = CreateTarget();
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
        var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (var (_, tensor) in saved.StateModule.state_dict()) tensor.Save(writer);
        buffer.Position = 0;
        using (var reader = new BinaryReader(buffer))
        using (no_grad())
            foreach (var (_, tensor) in restored.StateModule!.state_dict()) tensor.Load(reader);
        var expected = saved.StateModule.state_dict();
        foreach (var (key, tensor) in restored.StateModule.state_dict())
            Assert.That(Same(tensor, expected[key]), Is.True, key);
    }
}
