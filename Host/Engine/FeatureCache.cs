using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>
/// Frozen-encoder features shared by the heads of one evaluation pass (k-NN and linear probe
/// need the same ones), keyed by encoder, dataset and pooling. The evaluator owns and disposes it;
/// it must not outlive the encoder weights it was filled from.
/// </summary>
public sealed class FeatureCache : IFeatureCache, IDisposable
{
    readonly Dictionary<(EncoderModule, IImageDataset, FeaturePooling), Tensor> features = new();

    public Tensor GetOrAdd(EncoderModule encoder, IImageDataset data, FeaturePooling pooling, Func<Tensor> extract)
    {
        if (!features.TryGetValue((encoder, data, pooling), out var cached))
            features[(encoder, data, pooling)] = cached = extract().DetachFromDisposeScope();
        return cached;
    }

    public int Count => features.Count;

    public void Dispose()
    {
        foreach (var tensor in features.Values) tensor.Dispose();
        features.Clear();
    }
}
