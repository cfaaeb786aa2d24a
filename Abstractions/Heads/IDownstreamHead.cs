using SdAE.Abstractions.Data;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using TorchSharp;

namespace SdAE.Abstractions.Heads;

/// <summary>
/// What an evaluation protocol gets: an encoder (not to be modified unless the protocol fine-tunes
/// a copy), the data, and a feature cache shared with the other heads of the same pass (or null).
/// </summary>
public sealed record HeadContext(
    EncoderModule Encoder,
    IImageDataset Train,
    IImageDataset Test,
    torch.Device Device,
    int Seed,
    IProgressReporter Progress,
    FeatureCache? Features = null);

/// <summary>An evaluation protocol's outcome: named scalars (top1 first) and an optional per-epoch curve.</summary>
public sealed record HeadResult(
    string Protocol,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<IReadOnlyDictionary<string, double>>? Curve = null)
{
    public double Top1 => Metrics.TryGetValue("top1", out var v) ? v : double.NaN;
}

/// <summary>An evaluation protocol: k-NN, linear probe, fine-tune.</summary>
public interface IDownstreamHead
{
    HeadResult Evaluate(HeadContext context);
}
