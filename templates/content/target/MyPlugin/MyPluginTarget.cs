using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using static TorchSharp.torch;

namespace MyPlugin;

/// <summary>What an experiment's section binds: `target: { type: my_plugin, visible_weight: 0 }`.</summary>
public sealed class MyPluginOptions
{
    [Range(0.0, 10.0), Description("Weight of the visible patches' error in the loss; 0 scores masked patches only, as MAE does.")]
    public double VisibleWeight { get; set; }
}

/// <summary>
/// A reconstruction target: the decoder predicts, for every patch, the mean of each channel over
/// the patch; the loss is the squared error on masked patches. Without [UsesEncoderInput] a target
/// gets visible tokens and a decoder (MAE, SdAE); mark it [UsesEncoderInput(EncoderInput.MaskTokens)]
/// for BEiT-style input.
/// </summary>
public sealed class MyPluginTarget(MyPluginOptions options) : IReconstructionTarget
{
    int patch, channels;

    public int PredictionWidth(EncoderModule student) => student.Channels;

    public void Attach(EncoderModule student) => (patch, channels) = (student.PatchSize, student.Channels);

    /// <summary>[B, L, C]: each patch's per-channel mean, row-major patches, without gradients.</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        long batch = images.shape[0], side = images.shape[2] / patch;
        return images.reshape(batch, channels, side, patch, side, patch).mean([3, 5]).flatten(2).transpose(1, 2).contiguous();
    }

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var perPatch = (prediction - targets).square().mean([2]);
        var masked = plan.Mask.to_type(ScalarType.Float32);
        var weights = masked + (1 - masked) * options.VisibleWeight;
        return new TargetLoss((perPatch * weights).sum() / weights.sum());
    }

    public void Dispose() { }
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class MyPluginModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IReconstructionTarget, MyPluginTarget, MyPluginOptions>(PluginKind.Target, "my_plugin",
            "Predicts each masked patch's per-channel mean; squared error.");
}
