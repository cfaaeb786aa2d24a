using SdAE.Training;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class OptimizerTests
{
    [Test]
    public void MatchesTorchSharpsAdamWWithDecayExclusions()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var ours = nn.Linear(4, 3);
        var reference = nn.Linear(4, 3);
        using (no_grad())
        {
            reference.weight!.copy_(ours.weight!);
            reference.bias!.copy_(ours.bias!);
        }
        var groups = SdAE.Training.AdamW.DecayGroups([("weight", ours.weight!), ("bias", ours.bias!)], weightDecay: 0.1);
        Assert.That(groups[0].Parameters.Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
        Assert.That(groups[1].Parameters.Select(p => p.Name), Is.EqualTo(new[] { "bias" }), "biases are not decayed");
        using var optimizer = new SdAE.Training.AdamW(groups, 0.9, 0.95);
        var torchOptimizer = optim.AdamW([
            new TorchSharp.Modules.AdamW.ParamGroup([reference.weight!], new TorchSharp.Modules.AdamW.Options { weight_decay = 0.1 }),
            new TorchSharp.Modules.AdamW.ParamGroup([reference.bias!], new TorchSharp.Modules.AdamW.Options { weight_decay = 0.0 }),
        ], lr: 0.01, beta1: 0.9, beta2: 0.95);

        for (int step = 0; step < 5; step++)
        {
            var input = randn(8, 4);
            optimizer.ZeroGrad();
            ours.forward(input).square().sum().backward();
            optimizer.Step(0.01);
            torchOptimizer.zero_grad();
            reference.forward(input).square().sum().backward();
            torchOptimizer.step();
        }
        Assert.That(ours.weight!.allclose(reference.weight!, atol: 1e-6), Is.True);
        Assert.That(ours.bias!.allclose(reference.bias!, atol: 1e-6), Is.True);
    }
}

public class FlatOptimizerTests
{
    [Test]
    public void FlatAdamWMatchesPerTensorAdamWWithDecayExclusionsAndLrScales()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var flatModel = nn.Sequential(nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 2));
        var referenceModel = nn.Sequential(nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 2));
        using (no_grad())
            foreach (var ((_, a), (_, b)) in flatModel.named_parameters().Zip(referenceModel.named_parameters()))
                b.copy_(a);

        IReadOnlyList<SdAE.Training.ParameterGroup> Groups(nn.Module model)
        {
            var groups = SdAE.Training.AdamW.DecayGroups(model.named_parameters().Select(p => (p.name, p.parameter)), 0.1);
            // a layer-decay-like lr scale on the decayed group
            return [groups[0] with { LrScale = 0.5 }, groups[1]];
        }
        using var flat = new SdAE.Training.FlatAdamW(Groups(flatModel), 0.9, 0.95);
        using var reference = new SdAE.Training.AdamW(Groups(referenceModel), 0.9, 0.95);
        for (int step = 0; step < 6; step++)
        {
            var input = randn(16, 6);
            flat.ZeroGrad();
            flatModel.forward(input).square().mean().backward();
            flat.ClipGradNorm(0.5);
            flat.Step(0.02);
            reference.ZeroGrad();
            referenceModel.forward(input).square().mean().backward();
            reference.ClipGradNorm(0.5);
            reference.Step(0.02);
        }
        foreach (var ((name, a), (_, b)) in flatModel.named_parameters().Zip(referenceModel.named_parameters()))
            Assert.That(a.allclose(b, rtol: 1e-4, atol: 1e-6), Is.True, name);
        Assert.That(flat.StepCount, Is.EqualTo(6));
    }

    [Test]
    public void ParametersBecomeViewsOfOneFlatBuffer()
    {
        using var scope = NewDisposeScope();
        var model = nn.Linear(3, 2);
        var before = model.weight!.detach().clone();
        using var flat = new SdAE.Training.FlatAdamW(SdAE.Training.AdamW.DecayGroups(model.named_parameters().Select(p => (p.name, p.parameter)), 0), 0.9, 0.95);
        Assert.That(model.weight!.allclose(before), Is.True, "values are kept");
        model.forward(ones(1, 3)).sum().backward();
        Assert.That(flat.FlatGradient.abs().sum().item<float>(), Is.GreaterThan(0), "backward writes into the flat gradient buffer");
        flat.ZeroGrad();
        Assert.That(model.weight!.grad!.abs().sum().item<float>(), Is.EqualTo(0), "zeroing the flat buffer zeroes every gradient");
    }
}

public class FlatLayoutOfTheOptimizerTests
{
    static nn.Module<Tensor, Tensor> Model() => nn.Sequential(nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 2));

    static IReadOnlyList<ParameterGroup> Groups(nn.Module model) =>
        SdAE.Training.AdamW.DecayGroups(model.named_parameters().Select(p => (p.name, p.parameter)), 0.1);

    static List<Tensor> Tensors(nn.Module model) => model.parameters().Select(p => (Tensor)p).ToList();

    [Test]
    public void GivenTheModelsOrderItsParametersBecomeOneSpan()
    {
        using var scope = NewDisposeScope();
        var grouped = Model();
        using var byGroup = new FlatAdamW(Groups(grouped), 0.9, 0.95);
        Assert.That(FlatLayout.SpanOf(Tensors(grouped)), Is.Null, "by default decayed and undecayed tensors are apart");

        var ordered = Model();
        using var byModel = new FlatAdamW(Groups(ordered), 0.9, 0.95, layout: ordered.parameters());
        Assert.That(FlatLayout.SpanOf(Tensors(ordered)), Is.Not.Null);
    }

    [Test]
    public void ALayoutMissingOrRepeatingAParameterIsRefused()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var e = Assert.Throws<ArgumentException>(() => new FlatAdamW(Groups(model), 0.9, 0.95, layout: model.parameters().Skip(1)));
        Assert.That(e!.Message, Does.Contain("every parameter"));
        var first = model.parameters().First();
        var twice = Assert.Throws<ArgumentException>(() => new FlatAdamW(Groups(model), 0.9, 0.95, layout: model.parameters().Skip(2).Prepend(first).Prepend(first)));
        Assert.That(twice!.Message, Does.Contain("once"));
    }

    [TestCase(false, 0.5)]
    [TestCase(true, 0.5)]
    [TestCase(false, 1e6)]
    [TestCase(true, 1e6)]
    public void ClippingScalesTheGlobalNormDownToTheLimitOnly(bool flat, double maxNorm)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var model = Model();
        using IParameterOptimizer optimizer = flat ? new FlatAdamW(Groups(model), 0.9, 0.95) : new SdAE.Training.AdamW(Groups(model), 0.9, 0.95);
        optimizer.ZeroGrad();
        model.forward(randn(16, 6)).square().sum().backward();
        Tensor GlobalNorm() => stack(optimizer.Parameters.Select(p => p.grad!.norm())).norm();
        var before = GlobalNorm().item<float>();
        Assume.That(before, Is.GreaterThan(0.5), "the gradients are large enough to be clipped at 0.5");

        var returned = optimizer.ClipGradNorm(maxNorm);
        Assert.That(returned.item<float>(), Is.EqualTo(before).Within(1e-3).Percent, "returns the norm before clipping");
        Assert.That(GlobalNorm().item<float>(), Is.EqualTo(Math.Min(before, maxNorm)).Within(1e-3).Percent);
    }
}
