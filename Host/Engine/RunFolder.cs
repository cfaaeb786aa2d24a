using System.Text.Json;
using SdAE.Host.Config;

namespace SdAE.Host.Engine;

/// <summary>
/// runs/&lt;experiment&gt;/&lt;run&gt;/: config.resolved.yaml, metrics.jsonl, checkpoints/last.ckpt,
/// results.json and pictures.
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = path;
    public string ConfigPath => System.IO.Path.Combine(Path, "config.resolved.yaml");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string CheckpointPath => System.IO.Path.Combine(Path, "checkpoints", "last.ckpt");
    public string ResultsPath => System.IO.Path.Combine(Path, "results.json");
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static RunFolder For(Experiment experiment) =>
        new(System.IO.Path.Combine(experiment.Output, experiment.Name, experiment.Run));

    public bool HasCheckpoint => System.IO.File.Exists(CheckpointPath);

    /// <summary>Writes the resolved config; on resume, refuses a config that would train differently.</summary>
    public void WriteOrCheckConfig(Experiment experiment)
    {
        Directory.CreateDirectory(Path);
        var resolved = ResolvedConfig.ToYaml(experiment);
        if (HasCheckpoint && System.IO.File.Exists(ConfigPath))
        {
            var saved = ExperimentTrainingPart(System.IO.File.ReadAllText(ConfigPath));
            if (saved != ExperimentTrainingPart(resolved))
                throw new UserError($"{Path} holds a run of a different configuration (see its config.resolved.yaml); only 'eval' may change when resuming.",
                    "set a new 'run:' id, or delete the folder to start over.");
        }
        WriteAtomically(ConfigPath, resolved);
    }

    /// <summary>The YAML without its `eval` list, round-tripped so formatting does not matter.</summary>
    static string ExperimentTrainingPart(string yaml)
    {
        var tree = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(yaml) ?? [];
        tree.Remove("eval");
        return new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(tree);
    }

    public static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        System.IO.File.WriteAllText(temporary, text);
        System.IO.File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Keeps only metric lines up to <paramref name="step"/>: what a resumed run would otherwise log twice.</summary>
    public void TrimMetricsAfter(long step)
    {
        if (!System.IO.File.Exists(MetricsPath)) return;
        var kept = System.IO.File.ReadAllLines(MetricsPath).Where(line => line.Length > 0).Where(line =>
        {
            using var document = JsonDocument.Parse(line);
            return !document.RootElement.TryGetProperty("step", out var s) || s.GetInt64() <= step;
        });
        WriteAtomically(MetricsPath, string.Join('\n', kept) + "\n");
    }

    public void AppendMetrics(IReadOnlyDictionary<string, object> record) =>
        System.IO.File.AppendAllText(MetricsPath, JsonSerializer.Serialize(record) + "\n");
}
