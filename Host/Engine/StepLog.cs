using System.Diagnostics;
using System.Globalization;
using SdAE.Abstractions.Distributed;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Runs;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// The logging stage of the loop: for a logged step, reads the loss (the only wait for the device),
/// measures throughput since the last log line and the time left until the final evaluation (the
/// steps left at a smoothed rate, plus the online evaluations still due at the time they have taken),
/// and writes the step to metrics.jsonl and the display; after an epoch, its mean loss and health diagnostics.
/// </summary>
public sealed class StepLog(Action<MetricsRecord> log, ITrainingDisplay display, ICollectives ranks, int batch, int epochs, long stepsPerEpoch, long totalSteps,
    Func<int, double>? onlineSecondsLeft = null)
{
    readonly Stopwatch window = Stopwatch.StartNew();
    readonly SmoothedRate rate = new();
    long windowImages;

    public void Count(long images) => windowImages += images;

    public void Write(int epoch, long stepInEpoch, long step, double lr, TargetLoss targetLoss)
    {
        var measured = RanksMean(targetLoss);   // finite: NonFiniteGuard has checked every step up to here
        double loss = measured["loss"];
        double imagesPerSecond = windowImages / Math.Max(1e-9, window.Elapsed.TotalSeconds);
        var remaining = TimeSpan.FromSeconds((totalSteps - step) * batch / rate.Add(imagesPerSecond) + (onlineSecondsLeft?.Invoke(epoch) ?? 0));
        var values = new Dictionary<string, double> { ["loss"] = loss, ["lr"] = lr, ["images_per_second"] = imagesPerSecond };
        foreach (var (name, value) in measured.Where(m => m.Key != "loss")) values[name] = value;
        log(new MetricsRecord(step, epoch + (double)stepInEpoch / stepsPerEpoch, values));
        display.Step(new StepReport(epoch + 1, epochs, stepInEpoch, stepsPerEpoch, step, totalSteps, loss, lr, imagesPerSecond, remaining));
        window.Restart();
        windowImages = 0;
    }

    /// <summary>The epoch's line: its mean loss and the health diagnostics.</summary>
    public void WriteEpoch(long step, int completedEpochs, double meanLoss, IReadOnlyDictionary<string, double> diagnostics)
    {
        var values = new Dictionary<string, double> { [MetricsLog.EpochLoss] = meanLoss };
        foreach (var (name, value) in diagnostics) values[name] = value;
        log(new MetricsRecord(step, completedEpochs, values));
        display.Info($"epoch {completedEpochs}: " + string.Join("  ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value:0.####}"))));
    }

    /// <summary>The loss and the target's metrics, averaged over the ranks (each is a mean over its share of the batch) in one allreduce.</summary>
    Dictionary<string, double> RanksMean(TargetLoss targetLoss)
    {
        var names = new List<string> { "loss" };
        var tensors = new List<Tensor> { targetLoss.Loss };
        foreach (var (name, value) in targetLoss.Metrics ?? new Dictionary<string, Tensor>())
        {
            names.Add(name);
            tensors.Add(value);
        }
        using var scope = NewDisposeScope();
        var values = stack(tensors.Select(t => t.detach().to(ScalarType.Float32).reshape(-1)[0]).ToList()).cpu();
        ranks.AllReduceSum(values);
        var means = values.div_(ranks.Size).data<float>().ToArray();
        return names.Select((name, i) => (name, (double)means[i])).ToDictionary();
    }
}

/// <summary>
/// Images per second as an exponential moving average of the log windows' rates, which the ETA
/// divides by: one slow window (a checkpoint, another process) moves it by a fifth, not all the way.
/// </summary>
public sealed class SmoothedRate
{
    /// <summary>Weight of the newest window.</summary>
    public const double Weight = 0.2;

    double value;

    /// <summary>Takes a window's rate and returns the smoothed one (the first window's as it is; never 0).</summary>
    public double Add(double imagesPerSecond)
    {
        value = value == 0 ? imagesPerSecond : (1 - Weight) * value + Weight * imagesPerSecond;
        return Math.Max(1e-9, value);
    }
}
