using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

using AdamW = SdAE.Training.AdamW;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>
/// The training loop every dense head runs: AdamW over the network being trained with
/// layer-wise lr decay on the encoder's blocks, linear warm-up then cosine decay per step, the
/// training canvases reshuffled every epoch (seeded), and an evaluation every EvalEvery epochs and
/// after the last, each a point of the curve with the epoch's mean training loss.
/// </summary>
public sealed class DenseTraining(DenseTrainingOptions options, HeadContext context, string name)
{
    /// <param name="network">The module trained; its encoder's parameters are named <paramref name="encoderPrefix"/> + the encoder's own names.</param>
    /// <param name="batchLoss">The loss of the training canvases at the given indices (a dispose scope is open).</param>
    /// <param name="evaluate">The test metrics (the network is in eval mode, gradients off).</param>
    public List<IReadOnlyDictionary<string, double>> Run(nn.Module network, EncoderModule encoder, string encoderPrefix, long count,
        Func<Tensor, Tensor> batchLoss, Func<Dictionary<string, double>> evaluate)
    {
        var parameters = network.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var optimizer = new AdamW(LayerDecay.Groups(parameters, encoder, encoderPrefix, options.LayerDecay, options.WeightDecay), 0.9, 0.999);
        long stepsPerEpoch = count / options.Batch + (count % options.Batch > 1 ? 1 : 0);   // no last batch of one: BatchNorm cannot normalise it
        var schedule = new LearningRateSchedule(LearningRateSchedule.ScaledPeak(options.Lr, options.Batch), 0,
            (long)(options.WarmupEpochs * stepsPerEpoch), options.Epochs * stepsPerEpoch);
        var curve = new List<IReadOnlyDictionary<string, double>>();
        long step = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            network.train();
            using var order = Classification.Shuffle(count, context.Seed, epoch);
            using var lossSum = zeros(1, device: context.Device);
            for (long i = 0; i < stepsPerEpoch; i++)
            {
                using var scope = NewDisposeScope();
                var loss = batchLoss(order.narrow(0, i * options.Batch, Math.Min(options.Batch, count - i * options.Batch)));
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step(schedule.At(step++));
                lossSum.add_(loss.detach());
                context.Progress.Report(name, step, stepsPerEpoch * options.Epochs, $"epoch {epoch + 1}/{options.Epochs}");
            }
            if ((epoch + 1) % options.EvalEvery != 0 && epoch + 1 != options.Epochs) continue;
            network.eval();
            Dictionary<string, double> metrics;
            using (no_grad()) metrics = evaluate();
            metrics["epoch"] = epoch + 1;
            metrics["train_loss"] = lossSum.item<float>() / stepsPerEpoch;
            curve.Add(metrics);
            context.Progress.Info($"{name}: epoch {epoch + 1}/{options.Epochs} " + string.Join(", ",
                metrics.Where(m => m.Key is not ("epoch" or "train_loss")).Select(m => $"{m.Key} {m.Value:P2}")));
        }
        return curve;
    }
}
