using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using static TorchSharp.torch;

namespace SdAE.Tests.Support;

/// <summary>Whether two finished runs trained alike: their logged step losses, and every tensor of their last checkpoints.</summary>
public static class SameTraining
{
    public static List<double> StepLosses(RunFolder run) =>
        run.Metrics.Read().Where(r => r.Evaluation is null && r.Values.ContainsKey("loss")).Select(r => r.Values["loss"]).ToList();

    /// <summary>The largest difference of each floating-point tensor (model, decoder, target state) between the two runs' last checkpoints.</summary>
    public static List<(string Name, float Difference)> CheckpointDifferences(LoadedExperiment one, LoadedExperiment two)
    {
        var context = new Abstractions.Plugins.PluginContext { ImageSize = 28, Channels = 1 };
        using var oneModel = PretrainingModel.Build(one.Experiment, one.Catalog, context);
        using var twoModel = PretrainingModel.Build(two.Experiment, two.Catalog, context);
        oneModel.LoadWeights(RunFolder.For(one.Experiment), one.Experiment.Pretrain, _ => { });
        twoModel.LoadWeights(RunFolder.For(two.Experiment), two.Experiment.Pretrain, _ => { });
        var twoTensors = twoModel.StateTensors().ToDictionary(t => t.Name, t => t.Tensor);
        return [.. oneModel.StateTensors().Where(t => t.Tensor.is_floating_point())
            .Select(t => (t.Name, WithoutKeyBias(t.Name, t.Tensor - twoTensors[t.Name]).abs().max().item<float>()))];
    }

    /// <summary>
    /// An attention block's key bias adds the same amount to every score of a query, which softmax
    /// cancels: its true gradient is zero, so AdamW moves it by normalised rounding noise, which
    /// differs between any two summation orders. It changes no output; it is left out of the comparison.
    /// </summary>
    static Tensor WithoutKeyBias(string name, Tensor difference)
    {
        if (!name.EndsWith("attn.qkv.bias")) return difference;
        long width = difference.shape[0] / 3;
        return cat([difference.narrow(0, 0, width), difference.narrow(0, 2 * width, width)]);
    }
}
