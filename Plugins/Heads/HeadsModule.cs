using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Heads;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Heads;

public sealed class HeadsModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<IDownstreamHead, KnnHead, KnnOptions>(PluginKind.Head, "knn",
            "k-NN on frozen, L2-normalised features: k=20, similarity-weighted vote with temperature 0.07.");
        services.AddPlugin<IDownstreamHead, LinearProbeHead, LinearProbeOptions>(PluginKind.Head, "linear_probe",
            "Frozen encoder, cached features, BatchNorm (no affine) + Linear classifier; SGD or AdamW.");
        services.AddPlugin<IDownstreamHead, FineTuneHead, FineTuneOptions>(PluginKind.Head, "finetune",
            "Fine-tune a copy of the encoder with a classifier: layer-wise lr decay, drop path, label smoothing, warm-up + cosine.");
        services.AddPlugin<IDownstreamHead, FromScratchHead, FineTuneOptions>(PluginKind.Head, "from_scratch",
            "The fine-tune protocol from a randomly initialised encoder of the same shape: what pre-training bought.");
        services.AddPlugin<IDownstreamHead, Dense.LinearSegmentationHead, Dense.LinearSegmentationOptions>(PluginKind.Head, "segmentation_linear",
            "Semantic segmentation of generated digit scenes: the encoder (frozen, or fine-tuned) at the scenes' resolution, BatchNorm + 1x1 classifier per patch, upsampled; mIoU.");
        services.AddPlugin<IDownstreamHead, Dense.UperNetHead, Dense.UperNetOptions>(PluginKind.Head, "upernet",
            "Semantic segmentation of generated digit scenes: simple feature pyramid + UperNet decoder, fine-tuned with layer-wise lr decay; mIoU.");
        services.AddPlugin<IDownstreamHead, Dense.DetectionHead, Dense.DetectionOptions>(PluginKind.Head, "detection",
            "Object detection on generated digit scenes: simple feature pyramid + anchor-free FCOS head, fine-tuned; COCO AP@[.5:.95], AP50, AP75.");
    }
}
