using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace SdAE.Plugins.Heads.Dense;

/// <summary>How every dense head trains: AdamW, warm-up + cosine, layer-wise lr decay when the encoder is fine-tuned, evaluations along the way.</summary>
public class DenseTrainingOptions : CanvasOptions
{
    [Range(1, 100000), Description("Training epochs over the training canvases.")]
    public int Epochs { get; set; } = 10;

    [Range(1, 1 << 20), Description("Canvases per step.")]
    public int Batch { get; set; } = 16;

    [Range(0.0, 100.0), Description("Base lr of AdamW (the peak is base x batch / 256).")]
    public double Lr { get; set; } = 1e-2;

    [Range(0.0, 1.0), Description("Layer-wise lr decay of a fine-tuned encoder: block j of L trains at lr x decay^(L+1-j); the head at lr.")]
    public double LayerDecay { get; set; } = 0.75;

    [Range(0.0, 10.0), Description("AdamW weight decay (not on biases, norms and tokens).")]
    public double WeightDecay { get; set; } = 0.05;

    [Range(0.0, 10000.0), Description("Epochs of linear lr warm-up before the cosine decay.")]
    public double WarmupEpochs { get; set; } = 1;

    [Range(0.0, 1.0), Description("Drop path of a fine-tuned encoder copy.")]
    public double DropPath { get; set; } = 0.1;

    [Range(1, 100000), Description("Evaluate on the test canvases every N epochs (and after the last).")]
    public int EvalEvery { get; set; } = 5;
}

/// <summary>What the heads on the simple feature pyramid (upernet, detection) add: its width.</summary>
public class PyramidHeadOptions : DenseTrainingOptions
{
    [Range(8, 1024), Description("Channels of the feature pyramid and the head.")]
    public int Channels { get; set; } = 64;
}
