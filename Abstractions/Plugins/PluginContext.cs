using TorchSharp;

namespace SdAE.Abstractions.Plugins;

/// <summary>What a plugin may need to know about the run it is created for.</summary>
public sealed record PluginContext
{
    /// <summary>Square input side in pixels (after any resize).</summary>
    public int ImageSize { get; init; }
    public int Channels { get; init; }
    public int ClassCount { get; init; }
    public int Seed { get; init; }
    public torch.Device Device { get; init; } = torch.CPU;
    /// <summary>The run's folder (caches, images); null when the plugin is used outside a run.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Where a plugin reports progress and notes; never null.</summary>
    public IProgressReporter Progress { get; init; } = NullProgressReporter.Instance;
}
