using System.Diagnostics;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Runs;

namespace SdAE.Host.Engine;

/// <summary>
/// The logging stage of a training step: reads the loss (the only wait for the device), measures throughput since the last log line and the time left, and writes the
/// step to metrics.jsonl and the display.
/// </summary>
public sealed class StepLog(TrainingSession session, ITrainingDisplay display)
{
    readonly Stopwatch window = Stopwatch.StartNew();
    long windowImages;

    public void Count(long images) => windowImages += images;

    public void Write(int epoch, long stepInEpoch, long step, double lr, TargetLoss targetLoss)
    {
        var pretrain = session.Experiment.Pretrain;
        double loss = targetLoss.Loss.item<float>();   // finite: NonFiniteGuard has checked every step up to here
        double imagesPerSecond = windowImages / Math.Max(1e-9, window.Elapsed.TotalSeconds);
        var remaining = TimeSpan.FromSeconds((session.Schedule.TotalSteps - step) * pretrain.Batch / Math.Max(1e-9, imagesPerSecond));
        var values = new Dictionary<string, double> { ["loss"] = loss, ["lr"] = lr, ["images_per_second"] = imagesPerSecond };
        foreach (var (name, value) in targetLoss.Metrics ?? new Dictionary<string, TorchSharp.torch.Tensor>())
            values[name] = value.item<float>();
        session.Log(new MetricsRecord(step, epoch + (double)stepInEpoch / session.StepsPerEpoch, values));
        display.Step(new StepReport(epoch + 1, pretrain.Epochs, stepInEpoch, session.StepsPerEpoch, step, session.Schedule.TotalSteps, loss, lr, imagesPerSecond, remaining));
        window.Restart();
        windowImages = 0;
    }
}
