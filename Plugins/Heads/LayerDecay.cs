using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp.Modules;

using AdamW = SdAE.Training.AdamW;

namespace SdAE.Plugins.Heads;

/// <summary>
/// Layer-wise lr decay (BEiT/MAE fine-tuning): a parameter in layer i of an encoder with depth d gets
/// lr x decay^(d + 1 - i), where the embeddings are layer 0, block j is layer j + 1 and the final
/// norm and the classifier are layer d + 1. Weight-decay exclusions as in pre-training.
/// </summary>
public static class LayerDecay
{
    public static double Scale(int layer, int depth, double decay) => Math.Pow(decay, depth + 1 - layer);

    /// <summary>Groups by (layer, decayed or not); <paramref name="encoderPrefix"/> marks the encoder's parameters.</summary>
    public static IReadOnlyList<ParameterGroup> Groups(IEnumerable<(string Name, Parameter Parameter)> parameters, EncoderModule encoder,
        string encoderPrefix, double decay, double weightDecay)
    {
        return parameters
            .Where(p => p.Parameter.requires_grad)
            .GroupBy(p => (Layer: LayerOf(p.Name, encoder, encoderPrefix), NoDecay: AdamW.IsExcludedFromDecay(p.Name, p.Parameter)))
            .OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.NoDecay)
            .Select(g => new ParameterGroup(g.ToList(), g.Key.NoDecay ? 0.0 : weightDecay, Scale(g.Key.Layer, encoder.Depth, decay)))
            .ToList();
    }

    static int LayerOf(string name, EncoderModule encoder, string encoderPrefix) =>
        name.StartsWith(encoderPrefix, StringComparison.Ordinal) ? encoder.LayerIndexOf(name[encoderPrefix.Length..]) : encoder.Depth + 1;
}
