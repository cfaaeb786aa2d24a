using System.Text.RegularExpressions;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>`sdae bench-cost` on a sweep file: each pre-training variant's step against the baseline variant's.</summary>
public class BenchCostTests() : StripeDataFixture(trainCount: 32, testCount: 10)
{
    string Sweep()
    {
        folder.Write("base.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 32));
        return folder.Write("costs.yaml", """
            sweep: costs
            base: base.yaml
            variants:
              mae: {}
              sdae: { masking: { type: multi_fold, ratio: 0.75, folds: 2 }, target: { type: teacher_latent } }
              none: { pretrain: { epochs: 0 } }
            """);
    }

    /// <summary>In a process of its own: the table is written through Spectre's console.</summary>
    static ProcessResult BenchCost(params string[] arguments) =>
        ChildProcess.Run("dotnet", [Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll"), "bench-cost", .. arguments]);

    [Test]
    public void EachPretrainingVariantIsTimedAgainstTheBaselineVariant()
    {
        var result = BenchCost(Sweep(), "--baseline", "mae", "--steps", "1", "--batch", "8", "--device", "auto");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.All);
        var output = result.Output;
        Assert.That(Regex.Matches(result.All, "device: auto chose").Count, Is.EqualTo(1), $"the variants share a device, said once:\n{result.All}");
        var rows = output.Split('\n').Where(line => line.Contains("│")).ToList();
        Assert.That(rows.Any(r => r.Contains(" mae ") && r.TrimEnd().TrimEnd('│').TrimEnd().EndsWith("1.00")), Is.True, $"the baseline's ratio is 1:\n{output}");
        Assert.That(rows.Any(r => r.Contains(" sdae ")), Is.True, output);
        Assert.That(rows.Any(r => r.Contains(" none ")), Is.False, "a variant without pre-training has no step to time");
    }

    [Test]
    public void ABaselineThatIsNotAVariantIsOneClearError()
    {
        var result = BenchCost(Sweep(), "--baseline", "beit", "--steps", "1");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.All);
        var errors = result.All;
        Assert.That(errors, Does.Contain("'beit' is not one of its variants").And.Contain("mae, sdae, none"));
        Assert.That(errors, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void ABaselineThatDoesNotPretrainIsOneClearError()
    {
        var result = BenchCost(Sweep(), "--baseline", "none", "--steps", "1", "--batch", "8", "--device", "cpu");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.All);
        Assert.That(result.All, Does.Contain("'none' does not pre-train").And.Contain("mae, sdae").And.Not.Contain("   at "));
    }
}
