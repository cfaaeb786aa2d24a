using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// Holds a patch tokenizer's fixed tensors as buffers, so checkpoints save and restore them: a
/// projection (random-projection quantiser) or nothing (k-means), and a codebook [K, d].
/// </summary>
public sealed class TokenizerState : nn.Module
{
    readonly Tensor projection;
    readonly Tensor codebook;

    public TokenizerState(int patchWidth, int projectedWidth, int codebookSize) : base("tokenizer")
    {
        projection = zeros(patchWidth, projectedWidth);
        codebook = zeros(codebookSize, projectedWidth);
        RegisterComponents();
    }

    public Tensor Projection => projection;
    public Tensor Codebook => codebook;

    /// <summary>Patch pixel vectors [..., P], standardised per patch, to token ids [...].</summary>
    public Tensor Tokenize(Tensor patches, bool project)
    {
        var standardised = Patches.Standardise(patches).Normalised;
        if (!project) return NearestL2(standardised, codebook);
        var embedded = nn.functional.normalize(standardised.matmul(projection), dim: -1);
        return embedded.matmul(codebook.t()).argmax(-1);
    }

    /// <summary>Index of the nearest codebook row (Euclidean) for each vector [..., d].</summary>
    public static Tensor NearestL2(Tensor vectors, Tensor codebook)
    {
        var flat = vectors.reshape(-1, vectors.shape[^1]);
        var distances = flat.square().sum(1, keepdim: true) - 2 * flat.matmul(codebook.t()) + codebook.square().sum(1).unsqueeze(0);
        return distances.argmin(1).reshape(vectors.shape[..^1]);
    }
}
