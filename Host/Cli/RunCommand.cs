using SdAE.Host.Config;
using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

public sealed class RunCommand : Command<ExperimentSettings>
{
    public override int Execute(CommandContext context, ExperimentSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = ExperimentLoader.Load(settings.Experiment);
        throw new UserError("pre-training is not built yet.", "see the open issues.");
    }
}
