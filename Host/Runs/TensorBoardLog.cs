using static TorchSharp.torch.utils;

namespace SdAE.Host.Runs;

/// <summary>
/// The metrics of a run as TensorBoard scalars too (run folder's tensorboard/, through TorchSharp's
/// SummaryWriter): steps under train/, epoch ends under epoch/, online evaluations under eval/&lt;head&gt;/,
/// and the final evaluation's metrics under final/&lt;head&gt;/ at the last step, with the run's
/// training settings for the HParams dashboard (<see cref="TensorBoardHParams"/>); the run's pictures
/// under images/ once drawn. `tensorboard --logdir runs` shows every run. metrics.jsonl stays the
/// record the framework reads.
/// </summary>
/// <remarks>A resumed run adds a new event file; TensorBoard shows the steps it repeats twice.</remarks>
public sealed class TensorBoardLog(string directory)
{
    TorchSharp.Modules.SummaryWriter? writer;   // created on the first record: a run that trains nothing writes no file

    public void Write(MetricsRecord record)
    {
        writer ??= tensorboard.SummaryWriter(directory);
        string group = record.Evaluation is { } head ? $"eval/{head}" : record.IsEpochEnd ? "epoch" : "train";
        long wallTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();   // TensorBoard reads seconds; the writer's default is 0
        foreach (var (name, value) in record.Values)
            writer.add_scalar($"{group}/{name}", (float)value, (int)record.Step, wallTime);
    }

    /// <summary>
    /// Each head's final metrics (not positions such as the best epoch) under final/&lt;label&gt;/ at
    /// <paramref name="step"/>, and <paramref name="settings"/> (dotted keys) as the run's hyper-parameters with those metrics.
    /// </summary>
    public void WriteFinal(IEnumerable<HeadOutcome> heads, long step, IReadOnlyDictionary<string, string> settings)
    {
        writer ??= tensorboard.SummaryWriter(directory);
        long wallTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tags = new List<string>();
        foreach (var head in heads)
            foreach (var (name, value) in head.Result.Metrics.Where(m => head.Result.KindOf(m.Key) != Abstractions.Heads.MetricKind.Index))
            {
                tags.Add($"final/{head.Label}/{name}");
                writer.add_scalar(tags[^1], (float)value, (int)step, wallTime);
            }
        TensorBoardHParams.Write(directory, settings, tags, step);
    }

    /// <summary>PNG pictures under images/&lt;file name&gt; at <paramref name="step"/>.</summary>
    public void WritePictures(IEnumerable<string> pngPaths, long step)
    {
        writer ??= tensorboard.SummaryWriter(directory);
        long wallTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var path in pngPaths)
            writer.add_img($"images/{Path.GetFileNameWithoutExtension(path)}", path, (int)step, wallTime);
    }
}
