using SdAE.Host.Cli;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("sdae");
    config.PropagateExceptions();
    config.AddCommand<RunCommand>("run")
        .WithDescription("Pre-train (and evaluate) as an experiment file says. Re-running resumes the run from its last checkpoint.")
        .WithExample("run", "experiments/sdae_vit-micro_fmnist.yaml");
    config.AddCommand<ValidateCommand>("validate")
        .WithDescription("Check an experiment file (YAML, plugin names, options, ranges) without running it.")
        .WithExample("validate", "experiments/mae_vit-micro_fmnist.yaml");
    config.AddCommand<BenchCostCommand>("bench-cost")
        .WithDescription("SdAE's cost against MAE on the same backbone, and multi-fold against one-pass teacher cost, as ratios from one run.")
        .WithExample("bench-cost", "experiments/sdae_vit-micro_fmnist.yaml", "--steps", "10");
    config.AddCommand<PluginsCommand>("plugins")
        .WithDescription("List every registered plugin by kind, with its options and defaults.")
        .WithExample("plugins");
});
return CliErrors.Run(() => app.Run(args));
