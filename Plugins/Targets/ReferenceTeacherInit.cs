using SdAE.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// The teacher as the SdAE reference code builds it, with timm's ViT initialisation: Linear weights
/// trunc-normal(0.02) with zero bias, LayerNorm 1/0, the patch convolution at PyTorch's default
/// (Kaiming-uniform, a = sqrt 5), tokens and the position table trunc-normal(0.02). The reference's
/// position table is a parameter; its teacher never gets gradients, so here it is the backbone's
/// position buffer, redrawn, and the EMA moves it toward the student's table like any weight.
/// </summary>
public static class ReferenceTeacherInit
{
    const double Std = 0.02;

    /// <summary>Re-initialises <paramref name="teacher"/> in place; returns the names of the position buffers the EMA must now move.</summary>
    public static IReadOnlyList<string> Apply(EncoderModule teacher)
    {
        using var _ = no_grad();
        foreach (var (_, module) in teacher.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    TruncNormal(linear.weight!);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case LayerNorm norm:
                    if (norm.weight is not null) nn.init.ones_(norm.weight);
                    if (norm.bias is not null) nn.init.zeros_(norm.bias);
                    break;
                case Conv2d conv:
                    PyTorchDefault(conv.weight!, conv.bias);
                    break;
            }
        }
        foreach (var (name, parameter) in teacher.named_parameters())
            if (IsToken(name) || IsPositionTable(name)) TruncNormal(parameter);
        var moved = new List<string>();
        foreach (var (name, buffer) in teacher.named_buffers())
            if (IsPositionTable(name) && buffer.is_floating_point())
            {
                TruncNormal(buffer);
                moved.Add(name);
            }
        return moved;
    }

    static bool IsToken(string name) => name.EndsWith("token", StringComparison.Ordinal) && !name.Contains('.');

    static bool IsPositionTable(string name) => name == "pos_embed";

    // timm's trunc_normal_(std=0.02) cuts at +-2 absolute, 100 standard deviations, so the cut never
    // bites: a normal draw, clamped for form (TorchSharp 0.107's trunc_normal_ leaves the tensor constant)
    static void TruncNormal(Tensor tensor) => nn.init.normal_(tensor, mean: 0, std: Std).clamp_(-2, 2);

    /// <summary>nn.Conv2d's own reset_parameters: weight Kaiming-uniform with a = sqrt 5, bias uniform within 1/sqrt(fan_in).</summary>
    static void PyTorchDefault(Tensor weight, Tensor? bias)
    {
        nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        if (bias is null) return;
        double bound = 1 / Math.Sqrt(weight.numel() / weight.shape[0]);
        nn.init.uniform_(bias, -bound, bound);
    }
}
