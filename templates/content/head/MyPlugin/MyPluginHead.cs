using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using static TorchSharp.torch;

namespace MyPlugin;

/// <summary>What an experiment's `eval` entry binds: `- { type: my_plugin, pooling: cls }`.</summary>
public sealed class MyPluginOptions
{
    [Range(1, 65536), Description("Images per feature-extraction batch.")]
    public int Batch { get; set; } = 256;

    [Description("Feature per image: cls token or mean of patch tokens.")]
    public FeaturePooling Pooling { get; set; } = FeaturePooling.Mean;
}

/// <summary>
/// An evaluation head: nearest class mean on frozen features (cosine similarity to each class's
/// mean training feature). Leaves the encoder's weights alone, as a frozen protocol must.
/// </summary>
public sealed class MyPluginHead(MyPluginOptions options) : IDownstreamHead
{
    public HeadResult Evaluate(HeadContext context)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        context.Encoder.eval();
        var train = nn.functional.normalize(Features(context, context.Train), dim: 1);
        var test = nn.functional.normalize(Features(context, context.Test), dim: 1);
        var means = zeros(context.Train.ClassCount, train.shape[1]).index_add_(0, context.Train.Labels, train, 1);
        var predicted = test.matmul(nn.functional.normalize(means, dim: 1).t()).argmax(1);
        double top1 = predicted.eq(context.Test.Labels).to_type(ScalarType.Float64).mean().item<double>();
        context.Progress.Info($"my_plugin: top-1 {top1:P2}");
        return new HeadResult(new Dictionary<string, double> { [HeadResult.Top1Metric] = top1 });
    }

    Tensor Features(HeadContext context, IImageDataset data)
    {
        var parts = new List<Tensor>();
        for (long first = 0; first < data.Count; first += options.Batch)
        {
            var indices = arange(first, Math.Min(first + options.Batch, data.Count), dtype: ScalarType.Int64);
            parts.Add(context.Encoder.Features(data.Images(indices).to(context.Device), options.Pooling).cpu());
        }
        return cat(parts);
    }
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class MyPluginModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IDownstreamHead, MyPluginHead, MyPluginOptions>(PluginKind.Head, "my_plugin",
            "Nearest class mean on frozen features (cosine).");
}
