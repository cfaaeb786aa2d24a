using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Options;

namespace SdAE.Host.Config;

public enum OptimizerKind
{
    /// <summary>AdamW with per-tensor updates.</summary>
    Adamw,
    /// <summary>The same AdamW over one flat parameter/gradient buffer: a few whole-buffer ops per step.</summary>
    FlatAdamw,
}

/// <summary>Which parameters weight decay leaves alone.</summary>
public enum NoDecay
{
    /// <summary>Biases, norms and every other 1-D tensor, tokens and position embeddings (MAE's ViT exempts its tokens too).</summary>
    VectorsAndTokens,
    /// <summary>Only 1-D tensors and biases, so cls and mask tokens decay: the SdAE reference code's groups.</summary>
    Vectors,
}

public sealed class PretrainOptions : IValidatableOptions
{
    [Description("adamw (per tensor) or flat_adamw (one flat buffer: far fewer ops per step, for GPUs).")]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adamw;

    [Range(0, 100000), Description("Pre-training epochs; 0 skips pre-training (evaluate a random encoder).")]
    public int Epochs { get; set; } = 10;

    [Range(1, 1 << 20)]
    public int Batch { get; set; } = 256;

    [Range(1, 4096), Description("Gradient accumulation: each batch is N micro-batches whose gradients are summed before one optimizer step (less memory, the same training when every image masks as many patches: not blockwise); lr and schedule count optimizer steps.")]
    public int Accumulate { get; set; } = 1;

    public LearningRateOptions Lr { get; set; } = new();

    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 0.05;

    [Description("What weight decay exempts: vectors_and_tokens (1-D tensors, tokens, position embeddings) or vectors (1-D tensors and biases only, as the SdAE reference code).")]
    public NoDecay NoDecay { get; set; } = NoDecay.VectorsAndTokens;

    [Range(0.0, 0.99999), Description("AdamW betas.")]
    public double[] Betas { get; set; } = [0.9, 0.95];

    [Range(0.0, 1e6), Description("Clip the global gradient norm to this; 0 disables.")]
    public double ClipGrad { get; set; }

    [Range(0, 100000), Description("Write a checkpoint every N epochs (and always at the end); 0: only at the end.")]
    public int CheckpointEvery { get; set; } = 1;

    [Range(0, int.MaxValue), Description("Also write one every N optimizer steps, mid-epoch too (a resumed run continues at the exact batch); 0: off.")]
    public int CheckpointEverySteps { get; set; }

    [Range(0.0, 1e6), Description("Also write one when this many minutes of training have passed since the last, mid-epoch too; 0: off.")]
    public double CheckpointEveryMinutes { get; set; }

    [Range(1, 1000000), Description("Log loss and lr to metrics.jsonl every N steps.")]
    public int LogEvery { get; set; } = 10;

    [Range(0, 64), Description("Images in the reconstruction picture (pixel target); 0: none.")]
    public int ReconstructionImages { get; set; } = 8;

    public IEnumerable<OptionError> Validate()
    {
        if (Betas.Length != 2)
            yield return new("betas", "needs two values, e.g. [0.9, 0.95].");
        if (Batch % Accumulate != 0)
            yield return new("accumulate", $"{Accumulate} micro-batches do not split pretrain.batch {Batch}; choose a divisor of the batch.");
    }
}

public sealed class LearningRateOptions
{
    [Range(0.0, 10.0), Description("Base lr; the actual peak is base x batch / 256.")]
    public double Base { get; set; } = 1.5e-4;

    [Range(0.0, 100000.0), Description("Linear warm-up length in epochs (fractions allowed).")]
    public double WarmupEpochs { get; set; } = 1;

    [Range(0.0, 10.0), Description("lr at the end of the cosine.")]
    public double Min { get; set; }
}
