using SdAE.Abstractions.Randomness;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// Every seed comes from Seeding: the same in every process (checked in child processes, where
/// .NET's string hash differs), different across streams, indices and ranks.
/// </summary>
public class SeedingTests
{
    static string Dll(params string[] parts) => Path.Combine([TestContext.CurrentContext.TestDirectory, .. parts]);

    /// <summary>An F# script (dotnet fsi ships with the SDK) that prints every stream's seed, the held-out split of a folder, and a string's HashCode.</summary>
    static string Script(string imageFolder) => $$"""
        #r "{{Dll("SdAE.Abstractions.dll")}}"
        #r "{{Dll("plugins", "SdAE.Plugins.Datasets", "SdAE.Plugins.Datasets.dll")}}"
        open SdAE.Abstractions.Randomness
        for stream in System.Enum.GetValues<RandomStream>() do
            printfn "seed %A %d %d" stream (Seeding.Derive(7, stream, 3L, 1)) (Seeding.Random(7, stream, 2L).Next())
        let listing = SdAE.Plugins.Datasets.FolderListing.Read("{{imageFolder}}", SdAE.Plugins.Datasets.ImageFolderOptions(Root = "{{imageFolder}}", ValFraction = 0.25, SplitSeed = 5))
        printfn "held out %s" (System.String.Join(",", listing.Test.Files |> Array.map System.IO.Path.GetFileName))
        printfn "hashcode %d" ("class a".GetHashCode())
        """;

    static Dictionary<string, string> Lines(ProcessResult run) =>
        run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(line => line[..line.LastIndexOf(' ')], line => line[(line.LastIndexOf(' ') + 1)..]);

    [Test]
    public void EveryStreamAndTheHeldOutSplitAreTheSameInTwoProcessesWhoseStringHashesDiffer()
    {
        using var folder = new TempFolder();
        foreach (var label in new[] { "a", "b" })
            for (int i = 0; i < 12; i++)
            {
                Directory.CreateDirectory(folder.File(label));
                File.WriteAllBytes(Path.Combine(folder.File(label), $"{label}{i:D2}.png"), []);   // listing reads names only
            }
        var script = folder.Write("seeds.fsx", Script(folder.Path));
        var first = ChildProcess.Run("dotnet", ["fsi", "--quiet", script]);
        var second = ChildProcess.Run("dotnet", ["fsi", "--quiet", script]);
        Assert.That((first.ExitCode, second.ExitCode), Is.EqualTo((0, 0)), first.All + second.All);
        var (a, b) = (Lines(first), Lines(second));
        Assert.That(a["hashcode"], Is.Not.EqualTo(b["hashcode"]), "the two processes randomise string hashes differently, so they can tell a per-process seed apart");
        Assert.That(a.Where(p => p.Key != "hashcode"), Is.EquivalentTo(b.Where(p => p.Key != "hashcode")), "every stream and the split are the same in both");
        Assert.That(a["held out"].Split(','), Has.Length.EqualTo(6), "a quarter of each class of 12");
        foreach (var stream in Enum.GetValues<RandomStream>())
            Assert.That(a.Single(p => p.Key.StartsWith($"seed {stream} ", StringComparison.Ordinal)).Key,
                Does.EndWith($" {Seeding.Derive(7, stream, 3, 1)}"), $"{stream}: the children derive what this process derives");
    }

    [Test]
    public void StreamsIndicesAndRanksNeverShareASeed()
    {
        var seeds = (from stream in Enum.GetValues<RandomStream>()
                     from index in Enumerable.Range(0, 50)
                     from rank in Enumerable.Range(0, 4)
                     select Seeding.Derive(0, stream, index, rank)).ToList();
        Assert.That(seeds.Distinct().Count(), Is.EqualTo(seeds.Count));
        Assert.That(seeds, Is.All.GreaterThanOrEqualTo(0));
        Assert.That(Seeding.Derive(1, RandomStream.Masks), Is.Not.EqualTo(Seeding.Derive(0, RandomStream.Masks)), "the experiment seed moves every stream");
        Assert.That(Seeding.StableHash("cat"), Is.Not.EqualTo(Seeding.StableHash("dog")));
    }

    [Test]
    public void NoSourceFileDerivesASeedOutsideSeeding()
    {
        var repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));
        var sources = new[] { "Abstractions", "Training", "Host", "Plugins", "Testing", "templates" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(repository, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.EndsWith("Seeding.cs", StringComparison.Ordinal));
        var offenders = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains("HashCode.Combine") || l.Text.Contains("manual_seed(")
                || System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"(new (Random|Generator)|SeedDefaultGenerators)\([^;]*[*+^]"))
            .Select(l => $"{Path.GetRelativePath(repository, l.File)}:{l.Line}: {l.Text.Trim()}").ToList();
        Assert.That(offenders, Is.Empty, "a seed computed from another (arithmetic or a hash) is Seeding.Derive's job; a literal or a seed passed in as it is is fine");
    }
}
