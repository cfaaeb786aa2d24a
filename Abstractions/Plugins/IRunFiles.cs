namespace SdAE.Abstractions.Plugins;

/// <summary>
/// Files a plugin keeps with its run (a k-means codebook): written atomically into the run folder
/// and into a cache shared by the runs of the same output folder, so a resumed run or a sibling
/// run finds them again. Names are plain file names; the host decides where they live.
/// </summary>
public interface IRunFiles
{
    /// <summary>The path of <paramref name="name"/> in this run's folder, else in the shared cache; null when neither has it.</summary>
    string? Find(string name);

    /// <summary>Writes <paramref name="name"/> into this run's folder and the shared cache where it is not there yet, each atomically.</summary>
    void Write(string name, Action<Stream> write);
}

/// <summary>Outside a run (tests, benchmarks): nothing is found and nothing is kept.</summary>
public sealed class NoRunFiles : IRunFiles
{
    public static readonly NoRunFiles Instance = new();
    public string? Find(string name) => null;
    public void Write(string name, Action<Stream> write) { }
}
