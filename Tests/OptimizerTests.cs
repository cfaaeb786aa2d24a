using SdAE.Abstractions.Training;
using SdAE.Host.Engine;
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
        var groups = SdAE.Abstractions.Training.AdamW.DecayGroups([("weight", ours.weight!), ("bias", ours.bias!)], weightDecay: 0.1);
        Assert.That(groups[0].Parameters.Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
        Assert.That(groups[1].Parameters.Select(p => p.Name), Is.EqualTo(new[] { "bias" }), "biases are not decayed");
        using var optimizer = new SdAE.Abstractions.Training.AdamW(groups, 0.9, 0.95);
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
