using System.ComponentModel;

namespace SdAE.Host.Config;

/// <summary>The keys of the `backbone` section the host reads itself, beside the backbone plugin's own options.</summary>
public sealed class BackboneSection
{
    [Description("Start from these weights: a PyTorch state_dict (.pth/.pt, also MAE's {\"model\": ...}) or a safetensors file, timm or native key names; relative to the experiment file.")]
    public string InitFrom { get; set; } = "";

    [Description("Refuse a file whose keys do not match the encoder's exactly (decoder and head keys aside); false loads what fits.")]
    public bool InitStrict { get; set; } = true;
}
