using System.Text.Json;
using System.Text.Json.Nodes;
using SdAE.Abstractions.Heads;
using SdAE.Host.Config;

namespace SdAE.Host.Engine;

/// <summary>results.json: one entry per evaluation head with its settings and metrics, plus run timings.</summary>
public static class Results
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string path, Experiment experiment, IReadOnlyList<HeadOutcome> heads, double trainSeconds, double imagesPerSecond)
    {
        var document = new JsonObject
        {
            ["experiment"] = experiment.Name,
            ["run"] = experiment.Run,
            ["seed"] = experiment.Seed,
            ["epochs"] = experiment.Pretrain.Epochs,
            ["train_seconds"] = Math.Round(trainSeconds, 2),
            ["images_per_second"] = Math.Round(imagesPerSecond, 1),
            ["heads"] = new JsonArray(heads.Select(h => (JsonNode)new JsonObject
            {
                ["type"] = h.Type,
                ["seconds"] = Math.Round(h.Seconds, 2),
                ["settings"] = new JsonObject(h.Settings.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
                ["metrics"] = new JsonObject(h.Result.Metrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))),
                ["curve"] = h.Result.Curve is null ? null : new JsonArray(h.Result.Curve.Select(point =>
                    (JsonNode)new JsonObject(point.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)))).ToArray()),
            }).ToArray()),
        };
        RunFolder.WriteAtomically(path, document.ToJsonString(Indented));
    }

    /// <summary>Adds evaluations to an existing results.json, replacing entries of the same head label.</summary>
    public static void Merge(string path, Experiment experiment, IReadOnlyList<HeadOutcome> heads)
    {
        double trainSeconds = 0, imagesPerSecond = 0;
        var kept = new List<HeadOutcome>();
        if (File.Exists(path))
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!;
            trainSeconds = root["train_seconds"]?.GetValue<double>() ?? 0;
            imagesPerSecond = root["images_per_second"]?.GetValue<double>() ?? 0;
            kept.AddRange(Read(path).Where(old => heads.All(h => h.Type != old.Type)));
        }
        Write(path, experiment, kept.Concat(heads).ToList(), trainSeconds, imagesPerSecond);
    }

    public static IReadOnlyList<HeadOutcome> Read(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        return root["heads"]!.AsArray().Select(h => new HeadOutcome(
            h!["type"]!.GetValue<string>(),
            h["settings"]!.AsObject().ToDictionary(s => s.Key, s => s.Value!.GetValue<string>()),
            new HeadResult(h["type"]!.GetValue<string>(), h["metrics"]!.AsObject().ToDictionary(m => m.Key, m => m.Value!.GetValue<double>()),
                h["curve"] is JsonArray curve
                    ? curve.Select(point => (IReadOnlyDictionary<string, double>)point!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>())).ToList()
                    : null),
            h["seconds"]!.GetValue<double>())).ToList();
    }
}
