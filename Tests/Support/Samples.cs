namespace SdAE.Tests.Support;

/// <summary>
/// The out-of-tree plugins in samples/, built once per test run by scripts/build-samples.sh: the SDK
/// packed from this checkout, each sample restored from that feed (no project reference) and its own
/// tests run. Experiment files that load a sample through `plugins:` need it built first.
/// </summary>
public static class Samples
{
    public static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));

    static readonly Lazy<ProcessResult> build = new(() =>
        ChildProcess.Run("bash", [Path.Combine(Repository, "scripts", "build-samples.sh"), "--test"], Repository, timeout: TimeSpan.FromMinutes(10)));

    /// <summary>What building the samples and running their tests printed; fails the calling test if either failed.</summary>
    public static ProcessResult Build()
    {
        var result = build.Value;
        Assert.That(result.ExitCode, Is.EqualTo(0), $"scripts/build-samples.sh --test:\n{result.All}");
        return result;
    }

    /// <summary>The AttMask sample's plugin assembly, built.</summary>
    public static string AttMaskPlugin
    {
        get
        {
            Build();
            return Path.Combine(Repository, "samples", "AttMask", "AttMask", "bin", "Release", "net10.0", "AttMask.dll");
        }
    }

    /// <summary>Builds the samples when <paramref name="experimentFile"/> loads one of them.</summary>
    public static void BuildIfUsedBy(string experimentFile)
    {
        if (File.ReadAllText(experimentFile).Contains("samples/")) Build();
    }
}
