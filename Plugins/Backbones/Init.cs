using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SdAE.Plugins.Backbones;

/// <summary>MAE's initialisation: Xavier-uniform Linear weights with zero bias, LayerNorm 1/0.</summary>
public static class Init
{
    public static void Apply(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            switch (child)
            {
                case Linear linear:
                    nn.init.xavier_uniform_(linear.weight);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case LayerNorm norm:
                    if (norm.weight is not null) nn.init.ones_(norm.weight);
                    if (norm.bias is not null) nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }

    /// <summary>Xavier-uniform on a conv weight seen as a flat [out, in*k*k] linear.</summary>
    public static void XavierAsLinear(Tensor convWeight)
    {
        using var _ = no_grad();
        using var flat = convWeight.view(convWeight.shape[0], -1);
        nn.init.xavier_uniform_(flat);
    }
}
