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
    /// <summary>Files kept with the run (caches); <see cref="NoRunFiles"/> outside a run.</summary>
    public IRunFiles Files { get; init; } = NoRunFiles.Instance;
    /// <summary>Where a plugin reports progress and notes; never null.</summary>
    public IProgressReporter Progress { get; init; } = NullProgressReporter.Instance;
}
