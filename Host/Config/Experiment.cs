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

    [PluginSection(PluginKind.Dataset), Required]
    public PluginSpec? Data { get; set; }

    [PluginSection(PluginKind.Dataset)]
    public PluginSpec? EvalData { get; set; }

    /// <summary>The host's keys of the data section (image size, limits, augmentation, cache).</summary>
    public DataOptions DataOptions => Data?.DataOptions ?? new DataOptions();

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

    public FigureOptions Figures { get; set; } = new();

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
