using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SdAE.Abstractions.Heads;

namespace SdAE.Host.Runs;

/// <summary>
/// One evaluation protocol's result, under its label in the experiment, with the settings it ran with
/// (all of them, as results.json keeps them) and, when known, those that differ from the head's defaults.
/// </summary>
public sealed record HeadOutcome(string Label, IReadOnlyDictionary<string, string> Settings, HeadResult Result, double Seconds,
    IReadOnlyDictionary<string, string>? ChangedSettings = null);

/// <summary>results.json: the run's identity and timings, and one entry per evaluation head.</summary>
public sealed record RunResults(string Experiment, string Run, int Seed, int Epochs, double TrainSeconds, double ImagesPerSecond, IReadOnlyList<HeadOutcome> Heads)
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,   // a diverged head's NaN loss is a result too
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The same results with <paramref name="heads"/> added, replacing entries of the same label.</summary>
    public RunResults With(IReadOnlyList<HeadOutcome> heads) =>
        this with { Heads = Heads.Where(old => heads.All(h => h.Label != old.Label)).Concat(heads).ToList() };

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(ToFile(), Json));

    public static RunResults Read(string path)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("empty");
            var file = UpgradeLegacyLabels(node).Deserialize<ResultsFile>(Json) ?? throw new JsonException("empty");
            return new RunResults(file.Experiment, file.Run, file.Seed, file.Epochs, file.TrainSeconds, file.ImagesPerSecond,
                file.Heads.Select(h => new HeadOutcome(h.Label, h.Settings, new HeadResult(h.Metrics) { Curve = h.Curve, Kinds = h.Kinds, Headline = h.Headline ?? HeadResult.Top1Metric }, h.Seconds)).ToList());
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new UserError($"{path} is not a results file this version can read ({e.Message}).", "run 'sdae eval' on the run folder to write it again.");
        }
    }

    ResultsFile ToFile() => new(Experiment, Run, Seed, Epochs, Math.Round(TrainSeconds, 2), Math.Round(ImagesPerSecond, 1),
        Heads.Select(h => new HeadEntry(h.Label, Math.Round(h.Seconds, 2), h.Settings.ToDictionary(),
            h.Result.Metrics.ToDictionary(), h.Result.Kinds?.ToDictionary(),
            h.Result.Curve?.Select(point => point.ToDictionary()).ToList(),
            h.Result.Headline == HeadResult.Top1Metric ? null : h.Result.Headline)).ToList());

    // The file's shape: plain collections so the serializer can read it back.
    sealed record ResultsFile(string Experiment, string Run, int Seed, int Epochs, double TrainSeconds, double ImagesPerSecond, List<HeadEntry> Heads);

    sealed record HeadEntry(string Label, double Seconds, Dictionary<string, string> Settings, Dictionary<string, double> Metrics,
        Dictionary<string, MetricKind>? Kinds = null, List<Dictionary<string, double>>? Curve = null, string? Headline = null);

    /// <summary>Files written before the head's label had its own key carry it under "type": read as the label.</summary>
    static JsonNode UpgradeLegacyLabels(JsonNode file)
    {
        foreach (var head in file["heads"] as JsonArray ?? [])
            if (head is JsonObject entry && !entry.ContainsKey("label") && entry["type"] is { } label)
            {
                entry.Remove("type");
                entry["label"] = label;
            }
        return file;
    }
}
