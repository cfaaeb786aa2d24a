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
            }).ToArray()),
        };
        RunFolder.WriteAtomically(path, document.ToJsonString(Indented));
    }

    public static IReadOnlyList<HeadOutcome> Read(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        return root["heads"]!.AsArray().Select(h => new HeadOutcome(
            h!["type"]!.GetValue<string>(),
            h["settings"]!.AsObject().ToDictionary(s => s.Key, s => s.Value!.GetValue<string>()),
            new HeadResult(h["type"]!.GetValue<string>(), h["metrics"]!.AsObject().ToDictionary(m => m.Key, m => m.Value!.GetValue<double>())),
            h["seconds"]!.GetValue<double>())).ToList();
    }
}
