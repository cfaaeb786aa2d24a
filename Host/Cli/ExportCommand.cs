using System.ComponentModel;
using SdAE.Host.Config;
using SdAE.Host.Interop;
using SdAE.Training.Interop;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class ExportSettings : CommandSettings
{
    [CommandArgument(0, "<RUN_DIR>"), Description("A run folder (runs/<experiment>/<run>) with config.resolved.yaml and a checkpoint.")]
    public string RunDirectory { get; init; } = "";

    [CommandOption("--encoder <WHICH>"), Description("student or teacher (the EMA teacher of teacher-latent targets).")]
    [DefaultValue("student")]
    public string Encoder { get; init; } = "student";

    [CommandOption("--format <FORMAT>"), Description("safetensors, or pytorch (a state_dict zip torch.load reads).")]
    [DefaultValue("safetensors")]
    public string Format { get; init; } = "safetensors";

    [CommandOption("--naming <NAMES>"), Description("timm (timm's ViT key names; the in-tree vit only) or native.")]
    [DefaultValue("timm")]
    public string Naming { get; init; } = "timm";

    [CommandOption("--decoder"), Description("Also write the decoder, its keys prefixed decoder.")]
    public bool Decoder { get; init; }

    [CommandOption("-o|--output <FILE>"), Description("Where to write; default <RUN_DIR>/encoder-<which>.safetensors (or .pth). A .json sidecar goes beside it.")]
    public string? Output { get; init; }

    public override ValidationResult Validate() =>
        Encoder is not ("student" or "teacher") ? ValidationResult.Error("--encoder must be student or teacher")
        : Format is not ("safetensors" or "pytorch") ? ValidationResult.Error("--format must be safetensors or pytorch")
        : Naming is not ("timm" or "native") ? ValidationResult.Error("--naming must be timm or native")
        : ValidationResult.Success();
}

/// <summary>`sdae export`: a run's encoder as a file PyTorch and timm load.</summary>
public sealed class ExportCommand : Command<ExportSettings>
{
    public override int Execute(CommandContext context, ExportSettings settings, CancellationToken cancellationToken)
    {
        var request = new ExportRequest(settings.RunDirectory, Enum.Parse<EvalEncoder>(settings.Encoder, ignoreCase: true),
            settings.Format == "pytorch" ? StateDictFormat.Pytorch : StateDictFormat.Safetensors, settings.Naming == "timm", settings.Decoder, settings.Output);
        var (file, sidecar, tensors) = EncoderExport.Run(request, message => AnsiConsole.Write(new Text(message + "\n", new Style(Color.Grey))));
        Console.WriteLine($"wrote {tensors} tensors to {file}; model description in {sidecar}");
        return 0;
    }
}
