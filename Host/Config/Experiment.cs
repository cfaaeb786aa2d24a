using SdAE.Training;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using SdAE.Abstractions.Options;
using SdAE.Abstractions.Plugins;

namespace SdAE.Host.Config;

/// <summary>The typed form of an experiment file. Keys are the snake_case property names.</summary>
public sealed partial class Experiment : IValidatableOptions
{
    [Required, Description("Run folder name under `output`; letters, digits, '-', '_', '.'.")]
    public string Name { get; set; } = "";

    [Description("Seeds every random draw: init, masks, augmentation, shuffling.")]
    public int Seed { get; set; }

    [Description("auto | cpu | cuda | cuda:N")]
    public string Device { get; set; } = "auto";

    [Description("fp32 | tf32 (fp32 matmuls in TF32 on GPUs) | bf16 (matmuls and attention in bf16 from fp32 master weights; norms and losses fp32).")]
    public Precision Precision { get; set; } = Precision.Fp32;

    [Range(0, 1024), Description("CPU threads for TorchSharp; 0 keeps libtorch's default.")]
    public int Threads { get; set; }

    [Description("Folder that holds runs/<name>/<run>; relative to the working directory.")]
    public string Output { get; set; } = "runs";

    [Description("Run folder name under runs/<name>/; the same run id resumes.")]
    public string Run { get; set; } = "default";

    public DataOptions Data { get; set; } = new();

    [PluginSection(PluginKind.Backbone), Required]
    public PluginSpec? Backbone { get; set; }

    [PluginSection(PluginKind.Decoder)]
    public PluginSpec? Decoder { get; set; }

    [PluginSection(PluginKind.Masking), Required]
    public PluginSpec? Masking { get; set; }

    [PluginSection(PluginKind.Target), Required]
    public PluginSpec? Target { get; set; }

    public PretrainOptions Pretrain { get; set; } = new();

    [PluginSection(PluginKind.Head)]
    public List<PluginSpec> Eval { get; set; } = [];

    [Description("Extra plugin assemblies, relative to the experiment file.")]
    public List<string> Plugins { get; set; } = [];

    public IEnumerable<OptionError> Validate()
    {
        if (!NamePattern().IsMatch(Name))
            yield return new("name", $"'{Name}' is not a usable folder name; use letters, digits, '-', '_' and '.'.");
        if (!NamePattern().IsMatch(Run))
            yield return new("run", $"'{Run}' is not a usable folder name; use letters, digits, '-', '_' and '.'.");
        if (!DevicePattern().IsMatch(Device))
            yield return new("device", $"'{Device}' is not a device; use auto, cpu, cuda or cuda:N.");
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(auto|cpu|cuda|cuda:\d+)$")]
    private static partial Regex DevicePattern();
}

public enum Precision
{
    Fp32,
    Tf32,
    Bf16,
}

public enum DatasetName
{
    FashionMnist,
    Mnist,
}

public sealed class DataOptions
{
    [Description("fashion_mnist | mnist")]
    public DatasetName Dataset { get; set; } = DatasetName.FashionMnist;

    [Description("Folder with the IDX files; default data/<dataset> (see scripts/fetch-data.sh).")]
    public string? Root { get; set; }

    [Range(0, 1024), Description("Resize images to this side (bilinear); 0 keeps the native size.")]
    public int ImageSize { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N training images; 0 uses all.")]
    public int TrainLimit { get; set; }

    [Range(0, int.MaxValue), Description("Use only the first N test images; 0 uses all.")]
    public int TestLimit { get; set; }

    public AugmentOptions Augment { get; set; } = new();

    [Range(-1, 64), Description("Batches prepared ahead on a background thread; 0 prepares each batch in the loop; -1: 2 on CUDA, 0 on CPU (where the thread only competes for cores).")]
    public int Prefetch { get; set; } = -1;

    public int PrefetchFor(TorchSharp.torch.Device device) => Prefetch >= 0 ? Prefetch : device.type == TorchSharp.DeviceType.CUDA ? 2 : 0;
}

public sealed class AugmentOptions : IValidatableOptions
{
    [Range(0.01, 1.0), Description("Random-resized-crop area range; [1, 1] disables cropping.")]
    public double[] CropScale { get; set; } = [0.2, 1.0];

    [Range(0.1, 10.0), Description("Random-resized-crop aspect-ratio range.")]
    public double[] CropRatio { get; set; } = [3.0 / 4.0, 4.0 / 3.0];

    [Description("Random horizontal flip.")]
    public bool Flip { get; set; } = true;

    public IEnumerable<OptionError> Validate()
    {
        if (CropScale.Length != 2 || CropScale[0] > CropScale[1])
            yield return new("crop_scale", "needs two values [low, high] with low <= high, e.g. [0.2, 1.0].");
        if (CropRatio.Length != 2 || CropRatio[0] > CropRatio[1])
            yield return new("crop_ratio", "needs two values [low, high] with low <= high, e.g. [0.75, 1.333].");
    }
}

public enum OptimizerKind
{
    /// <summary>AdamW with per-tensor updates.</summary>
    Adamw,
    /// <summary>The same AdamW over one flat parameter/gradient buffer: a few whole-buffer ops per step.</summary>
    FlatAdamw,
}

public sealed class PretrainOptions : IValidatableOptions
{
    [Description("adamw (per tensor) or flat_adamw (one flat buffer: far fewer ops per step, for GPUs).")]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adamw;

    [Range(0, 100000), Description("Pre-training epochs; 0 skips pre-training (evaluate a random encoder).")]
    public int Epochs { get; set; } = 10;

    [Range(1, 1 << 20)]
    public int Batch { get; set; } = 256;

    public LearningRateOptions Lr { get; set; } = new();

    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 0.05;

    [Range(0.0, 0.99999), Description("AdamW betas.")]
    public double[] Betas { get; set; } = [0.9, 0.95];

    [Range(0.0, 1e6), Description("Clip the global gradient norm to this; 0 disables.")]
    public double ClipGrad { get; set; }

    [Range(0, 100000), Description("Write a checkpoint every N epochs (and always at the end); 0: only at the end.")]
    public int CheckpointEvery { get; set; } = 1;

    [Range(1, 1000000), Description("Log loss and lr to metrics.jsonl every N steps.")]
    public int LogEvery { get; set; } = 10;

    [Range(0, 64), Description("Images in the reconstruction picture (pixel target); 0: none.")]
    public int ReconstructionImages { get; set; } = 8;

    public IEnumerable<OptionError> Validate()
    {
        if (Betas.Length != 2)
            yield return new("betas", "needs two values, e.g. [0.9, 0.95].");
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
