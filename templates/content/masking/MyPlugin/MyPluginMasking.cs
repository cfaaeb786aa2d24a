using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace MyPlugin;

/// <summary>What an experiment's section binds: `masking: { type: my_plugin, ratio: 0.6 }`. Keys are the snake_case property names.</summary>
public sealed class MyPluginOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true), Description("Fraction of patches masked.")]
    public double Ratio { get; set; } = 0.75;
}

/// <summary>
/// A masking strategy: hides a fixed fraction of each image's patches, chosen at random from the
/// generator it is given (so a seed gives the same masks). Replace the choice with your own rule;
/// keep every field of the plan consistent (the conformance tests check it).
/// </summary>
public sealed class MyPluginMasking(MyPluginOptions options) : IMaskingStrategy
{
    /// <summary>True: every image masks the same number of patches, so MAE-style encoders can take visible ids.</summary>
    public bool ProducesIds => true;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        int visible = (int)(grid.Count * (1 - options.Ratio));
        if (visible < 1 || visible >= grid.Count)   // the host reports an ArgumentException at the experiment's masking section
            throw new ArgumentException($"masking.ratio {options.Ratio} leaves {visible} of {grid.Count} patches visible; keep at least one visible and one masked.");
        // a random order of each image's patches: the first `visible` stay, the rest are masked
        using var noise = rand(batch, grid.Count, generator: generator);
        using var shuffle = noise.argsort(1);
        return MaskPlan.FromShuffle(grid, shuffle, visible);
    }
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class MyPluginModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IMaskingStrategy, MyPluginMasking, MyPluginOptions>(PluginKind.Masking, "my_plugin",
            "Hides a fixed fraction of each image's patches, chosen at random.");
}
