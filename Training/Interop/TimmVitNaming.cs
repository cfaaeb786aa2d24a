using System.Text.RegularExpressions;

namespace SdAE.Training.Interop;

/// <summary>
/// Key names of the in-tree ViT against timm's VisionTransformer (which MAE's and SdAE's published
/// checkpoints also use). Most keys are already the same (`cls_token`, `pos_embed` with its cls
/// slot, `blocks.N.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2`, `norm`); the patch embedding
/// and layer scale differ.
/// </summary>
public static partial class TimmVitNaming
{
    public static string ToTimm(string native) => native switch
    {
        "patch_embed.weight" => "patch_embed.proj.weight",
        "patch_embed.bias" => "patch_embed.proj.bias",
        _ => LayerScale().Replace(native, m => $"blocks.{m.Groups[1].Value}.ls{m.Groups[2].Value}.gamma"),
    };

    public static string ToNative(string timm) => timm switch
    {
        "patch_embed.proj.weight" => "patch_embed.weight",
        "patch_embed.proj.bias" => "patch_embed.bias",
        _ => TimmLayerScale().Replace(timm, m => $"blocks.{m.Groups[1].Value}.gamma_{m.Groups[2].Value}"),
    };

    [GeneratedRegex(@"^blocks\.(\d+)\.gamma_([12])$")]
    private static partial Regex LayerScale();

    [GeneratedRegex(@"^blocks\.(\d+)\.ls([12])\.gamma$")]
    private static partial Regex TimmLayerScale();
}
