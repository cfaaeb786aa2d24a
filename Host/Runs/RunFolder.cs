using SdAE.Host.Config;

namespace SdAE.Host.Runs;

/// <summary>
/// runs/&lt;experiment&gt;/&lt;run&gt;/: config.resolved.yaml, metrics.jsonl, checkpoints/last.ckpt,
/// results.json, plugin files and pictures. Everything that reads or writes a run folder goes
/// through here; writes are atomic.
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = path;
    public string ConfigPath => File("config.resolved.yaml");
    public string CheckpointPath => System.IO.Path.Combine(Path, "checkpoints", "last.ckpt");
    public string ResultsPath => File("results.json");
    public MetricsLog Metrics => new(File("metrics.jsonl"));
    public string TensorBoardPath => File("tensorboard");
    /// <summary>A sweep run's console output, which its executor appends to.</summary>
    public string LogPath => File("run.log");
    /// <summary>The evaluation set's class names, one per line in label order (labels from folder names are otherwise only indices).</summary>
    public string ClassesPath => File("classes.txt");
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Where plugins keep their files: this folder, and a cache shared by every run under the same output folder.</summary>
    public RunFiles Files => new(Path, System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, "..", "..", ".cache")));

    public static RunFolder For(Experiment experiment) =>
        new(System.IO.Path.Combine(experiment.Output, experiment.Name, experiment.Run));

    /// <summary>The checkpoint the latest one replaced, kept until the next is complete: the fallback when the latest is damaged.</summary>
    public string PreviousCheckpointPath => System.IO.Path.Combine(Path, "checkpoints", "previous.ckpt");
    public bool HasCheckpoint => System.IO.File.Exists(CheckpointPath) || System.IO.File.Exists(PreviousCheckpointPath);
    public bool HasResults => System.IO.File.Exists(ResultsPath);
    public bool HasConfig => System.IO.File.Exists(ConfigPath);

    public void WriteClassNames(IReadOnlyList<string> names)
    {
        if (names.Count > 0) AtomicFile.WriteAllText(ClassesPath, string.Join('\n', names) + "\n");
    }

    public RunResults ReadResults() => RunResults.Read(ResultsPath);
    public void WriteResults(RunResults results) => results.Write(ResultsPath);

    /// <summary>Writes the resolved config; on resume, refuses a config that would train differently.</summary>
    public void WriteOrCheckConfig(Experiment experiment)
    {
        Directory.CreateDirectory(Path);
        var resolved = ResolvedConfig.ToYaml(experiment);
        if (HasCheckpoint && HasConfig && !ResolvedConfig.SameTraining(System.IO.File.ReadAllText(ConfigPath), resolved))
            throw new UserError($"{Path} holds a run of a different configuration (see its config.resolved.yaml); only 'eval', 'figures' and when to checkpoint and log may change when resuming.",
                "set a new 'run:' id, or delete the folder to start over.");
        AtomicFile.WriteAllText(ConfigPath, resolved);
    }
}

/// <summary>A run's plugin files: found in the run folder first, then in the shared cache; written to each of them that lacks it.</summary>
public sealed class RunFiles(string runDirectory, string sharedCache) : Abstractions.Plugins.IRunFiles
{
    IEnumerable<string> Places(string name) => [System.IO.Path.Combine(runDirectory, name), System.IO.Path.Combine(sharedCache, name)];

    public string? Find(string name) => Places(name).FirstOrDefault(System.IO.File.Exists);

    public void Write(string name, Action<Stream> write)
    {
        foreach (var place in Places(name).Where(place => !System.IO.File.Exists(place))) AtomicFile.Write(place, write);
    }
}
