using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;

namespace SdAE.Plugins.Targets;

public sealed class TargetsModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<IReconstructionTarget, PixelTarget, PixelTargetOptions>(PluginKind.Target, "pixel",
            "MAE: predict (per-patch normalised) pixels of masked patches; MSE on masked patches only.");
        services.AddPlugin<IReconstructionTarget, TeacherLatentTarget, TeacherLatentOptions>(PluginKind.Target, "teacher_latent",
            "SdAE: predict an EMA teacher's standardised features of masked patches, seen fold by fold; 1 - cosine loss.");
        services.AddPlugin<IReconstructionTarget, DiscreteTokenTarget, DiscreteTokenOptions>(PluginKind.Target, "discrete_token",
            "BEiT-style: mask tokens in the encoder, a Linear head predicts each masked patch's token id (random-projection or k-means tokenizer).");
        services.AddPlugin<IReconstructionTarget, SimMimTarget, SimMimOptions>(PluginKind.Target, "simmim",
            "SimMIM: mask tokens in the encoder, a Linear head predicts raw pixels; L1 on masked pixels only.");
        services.AddPlugin<IReconstructionTarget, HogTarget, HogTargetOptions>(PluginKind.Target, "hog",
            "MaskFeat: mask tokens in the encoder, a Linear head predicts each masked patch's HOG descriptor; MSE on masked patches.");
        services.AddPlugin<IReconstructionTarget, Data2VecTarget, Data2VecOptions>(PluginKind.Target, "data2vec",
            "data2vec 2.0: an EMA teacher sees the whole image once; the mean of its top K blocks, instance-normalised, is predicted from several masks per image; MSE.");
        services.AddPlugin<IReconstructionTarget, IJepaTarget, IJepaOptions>(PluginKind.Target, "ijepa",
            "I-JEPA: a predictor owned by the target predicts, from the context, an EMA target encoder's layer-normed outputs at each target block.");
    }
}
