using SdAE.Host.Commands;
using System.ComponentModel;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class ValidateSettings : CommandSettings
{
    [CommandArgument(0, "<EXPERIMENT>"), Description("Path to the experiment's YAML file.")]
    public string Experiment { get; init; } = "";

    [CommandArgument(1, "[OVERRIDES]"), Description("key.path=value ... : change the file's keys (YAML values), e.g. pretrain.epochs=1 masking.ratio=0.6.")]
    public string[] Overrides { get; init; } = [];

    [CommandOption("--resolved"), Description("Print the experiment with every default filled in (YAML) instead of 'ok'.")]
    public bool Resolved { get; init; }
}

public sealed class ValidateCommand : Command<ValidateSettings>
{
    public override int Execute(CommandContext context, ValidateSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment, settings.Overrides);
        var e = loaded.Experiment;
        if (settings.Resolved)
        {
            Console.Write(ResolvedConfig.ToYaml(e));
            return 0;
        }
        var data = ExperimentCheck.Run(loaded);
        var parts = new[] { e.Backbone, e.Decoder, e.Masking, e.Target }
            .Where(p => p is not null).Select(p => $"{p!.Kind.ToString().ToLowerInvariant()}={p.Type}")
            .Concat(e.Eval.Select(h => $"eval={h.Type}"));
        AnsiConsole.MarkupLineInterpolated($"[green]ok[/] {settings.Experiment}: {e.Name} ({string.Join(", ", parts)}); data {data.Name}: {data.Count} images, {data.ImageSize}px, {data.Channels} channel(s), {(data.ClassCount > 0 ? $"{data.ClassCount} classes" : "unlabelled")}; the model was built and one forward pass ran");
        return 0;
    }
}
