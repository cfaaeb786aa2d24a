using System.Text.Json;
using SdAE.Host.Cli;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>`sdae plugins` as a plugin author and a script use it: piped, grepped, as JSON, with brackets in descriptions.</summary>
public class PluginsCommandTests
{
    static (int ExitCode, string Output) Plugins(params string[] extra)
    {
        var (old, output) = (Console.Out, new StringWriter());
        Console.SetOut(output);
        try { return (SdaeApp.Run(["plugins", "--plugin", FixturePlugin.Path, .. extra]), output.ToString()); }
        finally { Console.SetOut(old); }
    }

    [Test]
    public void PipedOutputHasOneWholeLinePerPluginAndOption()
    {
        Assume.That(Console.IsOutputRedirected, "the test runner's output is not a terminal");
        var (exitCode, output) = Plugins();
        Assert.That(exitCode, Is.EqualTo(0));
        var lines = output.Split('\n');
        Assert.That(lines, Has.Some.StartsWith("target teacher_latent: "), "grep finds whole names");
        Assert.That(lines, Has.Some.StartsWith("masking checkerboard: Test fixture: masks alternate patches [a checkerboard, 1/2 of the grid]. [SdAE.Fixtures.FixturePlugin.dll]"),
            "brackets in a description are text, and each plugin says where it came from");
        Assert.That(lines, Has.Some.StartsWith("  masking.ratio = 0.75 (> 0 and < 1): "));
        Assert.That(lines, Has.Some.StartsWith("  data.image_size = 0"), "the host's own keys of the data section are listed too");
    }

    [Test]
    public void JsonListsKindTypeAssemblyAndOptionsWithTheirTypesDefaultsAndRanges()
    {
        var (exitCode, output) = Plugins("--json");
        Assert.That(exitCode, Is.EqualTo(0));
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        var checkerboard = rows.Single(r => r.GetProperty("type").GetString() == "checkerboard");
        Assert.That(checkerboard.GetProperty("kind").GetString(), Is.EqualTo("masking"));
        Assert.That(checkerboard.GetProperty("assembly").GetString(), Is.EqualTo("SdAE.Fixtures.FixturePlugin.dll"));
        Assert.That(checkerboard.GetProperty("description").GetString(), Does.Contain("[a checkerboard, 1/2 of the grid]"));
        var ratio = rows.Single(r => r.GetProperty("type").GetString() == "random").GetProperty("options").EnumerateArray().Single();
        Assert.That((ratio.GetProperty("key").GetString(), ratio.GetProperty("type").GetString(), ratio.GetProperty("default").GetString(), ratio.GetProperty("range").GetString()),
            Is.EqualTo(("ratio", "a number", "0.75", "> 0 and < 1")));
        Assert.That(rows.Select(r => r.GetProperty("kind").GetString()).Distinct(), Is.EquivalentTo(new[] { "backbone", "decoder", "masking", "target", "eval", "data" }));
    }
}
