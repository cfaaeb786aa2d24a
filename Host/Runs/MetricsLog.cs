using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SdAE.Abstractions.Heads;

namespace SdAE.Host.Runs;

/// <summary>
/// One line of metrics.jsonl. Three kinds: a training step (loss, lr, throughput and the target's
/// own scalars), an epoch's mean loss (<see cref="MetricsLog.EpochLoss"/>), and an online evaluation
/// of one head (<see cref="Evaluation"/> names the head's label, the values are its metrics).
/// </summary>
public sealed record MetricsRecord(long Step, double Epoch, IReadOnlyDictionary<string, double> Values, string? Evaluation = null)
{
    public bool IsEpochEnd => Evaluation is null && Values.ContainsKey(MetricsLog.EpochLoss);
    public bool IsStep => Evaluation is null && !IsEpochEnd;
}

/// <summary>metrics.jsonl: the writer the engine appends to and the reader plots and reports use.</summary>
public sealed class MetricsLog(string path)
{
    public const string EpochLoss = "epoch_loss";
    const string StepKey = "step", EpochKey = "epoch", EvaluationKey = "eval";

    public string Path { get; } = path;
    public bool Exists => File.Exists(Path);

    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public void Append(MetricsRecord record)
    {
        var line = new Dictionary<string, object> { [StepKey] = record.Step, [EpochKey] = record.Epoch };
        if (record.Evaluation is not null) line[EvaluationKey] = record.Evaluation;
        foreach (var (name, value) in record.Values) line[name] = value;
        File.AppendAllText(Path, JsonSerializer.Serialize(line, Json) + "\n");
    }

    /// <summary>Every readable line; a line torn by a crash mid-append is skipped.</summary>
    public IReadOnlyList<MetricsRecord> Read() => Exists ? File.ReadLines(Path).Select(TryParse).OfType<MetricsRecord>().ToList() : [];

    /// <summary>Keeps only lines up to <paramref name="step"/>: what a resumed run would otherwise log twice (and any torn line).</summary>
    public void TrimAfter(long step)
    {
        if (!Exists) return;
        var kept = File.ReadAllLines(Path).Where(line => TryParse(line) is { } record && record.Step <= step);
        AtomicFile.WriteAllText(Path, string.Concat(kept.Select(line => line + "\n")));
    }

    /// <summary>Starts the log over (a run starting from scratch after a crash before its first checkpoint).</summary>
    public void Clear()
    {
        if (Exists) File.Delete(Path);
    }

    static MetricsRecord? TryParse(string line)
    {
        if (line.Length == 0) return null;
        try
        {
            return Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Online evaluations by head label: (epoch, value of <paramref name="metric"/>) in log order.</summary>
    public static IReadOnlyDictionary<string, List<(double Epoch, double Value)>> EvaluationSeries(IEnumerable<MetricsRecord> records, string metric) =>
        records.Where(r => r.Evaluation is not null && r.Values.ContainsKey(metric))
            .GroupBy(r => r.Evaluation!)
            .ToDictionary(g => g.Key, g => g.Select(r => (r.Epoch, r.Values[metric])).ToList());

    /// <summary>
    /// The top-1 of every head evaluated during pre-training, per epoch, ending at its final value
    /// (from <paramref name="finalHeads"/>, at <paramref name="finalEpoch"/>): the curves plots draw.
    /// </summary>
    public static IReadOnlyDictionary<string, List<(double Epoch, double Value)>> OnlineTop1Curves(
        IEnumerable<MetricsRecord> records, IReadOnlyList<HeadOutcome> finalHeads, double finalEpoch)
    {
        var curves = EvaluationSeries(records, HeadResult.Top1Metric);
        foreach (var head in finalHeads.Where(h => curves.ContainsKey(h.Label)))
            curves[head.Label].Add((finalEpoch, head.Result.Top1));
        return curves;
    }

    static MetricsRecord Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        long step = 0;
        double epoch = 0;
        string? evaluation = null;
        var values = new Dictionary<string, double>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            switch (property.Name)
            {
                case StepKey: step = property.Value.GetInt64(); break;
                case EpochKey: epoch = property.Value.GetDouble(); break;
                case EvaluationKey: evaluation = property.Value.GetString(); break;
                default:
                    if (property.Value.ValueKind == JsonValueKind.Number) values[property.Name] = property.Value.GetDouble();
                    else if (property.Value.ValueKind == JsonValueKind.String && double.TryParse(property.Value.GetString(), CultureInfo.InvariantCulture, out var named))
                        values[property.Name] = named;   // NaN, Infinity
                    break;
            }
        }
        return new MetricsRecord(step, epoch, values, evaluation);
    }
}
