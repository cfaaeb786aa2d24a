using SdAE.Host.Config;
using SdAE.Host.Sweeps;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// `sdae sweep --executor slurm` on a real one-machine Slurm cluster (scripts/slurm-local.sh, which
/// .ci/run can start because it installs Slurm): a small sweep runs as a job array to its end, a
/// failing run is reported with its log while the others finish, re-submitting skips finished
/// runs, a task Slurm cancels is reported with Slurm's state, and multi-rank runs start under srun.
/// </summary>
[NonParallelizable]
public class SlurmExecutorTests
{
    static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));
    static string Sdae => Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll");

    TempFolder folder = null!;
    string cluster = null!;
    string dataRoot = null!;

    [OneTimeSetUp]
    public void StartCluster()
    {
        if (ChildProcess.Which("slurmctld") is null || ChildProcess.Which("munged") is null)
            Assert.Ignore("Slurm is not installed (scripts/install-slurm.sh installs it; .ci/run does).");
        folder = new TempFolder();
        cluster = Path.Combine(folder.Path, "cluster");
        var started = ChildProcess.Run(Path.Combine(Repository, "scripts", "slurm-local.sh"), ["start", cluster], timeout: TimeSpan.FromMinutes(1));
        Assert.That(started.ExitCode, Is.EqualTo(0), started.All);
        Assert.That(started.Output.Trim(), Is.EqualTo($"export SLURM_CONF={cluster}/slurm.conf"));
        Environment.SetEnvironmentVariable("SLURM_CONF", Path.Combine(cluster, "slurm.conf"));
        dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), 128, 40);
    }

    [OneTimeTearDown]
    public void StopCluster()
    {
        if (cluster is null) return;
        var stopped = ChildProcess.Run(Path.Combine(Repository, "scripts", "slurm-local.sh"), ["stop", cluster], timeout: TimeSpan.FromMinutes(1));
        Environment.SetEnvironmentVariable("SLURM_CONF", null);
        folder.Dispose();
        Assert.That(stopped.ExitCode, Is.EqualTo(0), stopped.All);
    }

    SweepDefinition Sweep(string name, string variants)
    {
        folder.Write($"{name}-base.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 128, eval: "{ type: knn, k: 5 }"));
        return SweepDefinition.Load(folder.Write($"{name}.yaml", $"""
            sweep: {name}
            base: {name}-base.yaml
            variants:
            {variants}
            grid:
              seed: [0]
            """));
    }

    IReadOnlyList<SweepRunResult> RunOnSlurm(SweepDefinition sweep, List<string>? messages = null) =>
        SweepRunner.RunAsync(SweepExpansion.Validate(sweep, SweepExpansion.Expand(sweep)),
            new SlurmExecutor(["dotnet", Sdae], new SlurmRequest(null, null, 1, 0, 1), Path.Combine(folder.Path, "runs", sweep.Name, "slurm"), m => messages?.Add(m)),
            (_, _, _) => { }).WaitAsync(TimeSpan.FromMinutes(4)).GetAwaiter().GetResult();

    [Test]
    public void ASweepRunsAsAJobArrayAFailingRunIsReportedWithItsLogAndResubmittingSkipsFinishedRuns()
    {
        var sweep = Sweep("array", """
              a: {}
              b: { masking: { ratio: 0.5 } }
              broken: { data: { root: no-such-folder } }
            """);
        var messages = new List<string>();
        var results = RunOnSlurm(sweep, messages);
        Assert.That(messages.Single(), Does.StartWith("submitted Slurm job array").And.Contain("(3 tasks)"));
        var broken = results.Single(r => r.Run.Variant == "broken");
        Assert.That(broken.State, Is.EqualTo(RunState.Failed));
        Assert.That(broken.ExitCode, Is.EqualTo(2));
        Assert.That(File.ReadAllText(broken.LogPath), Does.Contain("[Slurm job").And.Contain("data not found"));
        foreach (var ok in results.Where(r => r.Run.Variant != "broken"))
        {
            Assert.That(ok.State, Is.EqualTo(RunState.Succeeded), File.ReadAllText(ok.LogPath));
            Assert.That(ok.Folder.ReadResults().Heads.Single().Result.Top1, Is.GreaterThan(0));
        }
        var written = SweepReport.Write(Path.Combine(folder.Path, "runs", "array"), results, 1);
        Assert.That(File.ReadAllText(written[0]), Does.Contain("| a | 1 |").And.Contain("| b | 1 |").And.Contain("2 of 3 runs finished"));

        var okLog = File.ReadAllText(results.Single(r => r.Run.Variant == "a").LogPath);
        var again = RunOnSlurm(sweep);
        Assert.That(again.Where(r => r.Run.Variant != "broken").Select(r => r.State), Is.All.EqualTo(RunState.AlreadyDone));
        Assert.That(again.Single(r => r.Run.Variant == "broken").State, Is.EqualTo(RunState.Failed), "only the failed run is submitted again");
        Assert.That(File.ReadAllText(results.Single(r => r.Run.Variant == "a").LogPath), Is.EqualTo(okLog));
    }

    [Test]
    public void ATaskSlurmCancelsIsReportedWithSlurmsState()
    {
        var sweep = Sweep("cancelled", "  stuck: {}");
        Environment.SetEnvironmentVariable("SDAE_TEST_PAUSE_AT", "step:2");   // sbatch passes the environment on: the run waits at its second step
        try
        {
            var running = Task.Run(() => RunOnSlurm(sweep));
            var log = Path.Combine(folder.Path, "runs", "cancelled", "stuck__seed-0", "run.log");
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!(File.Exists(log) && File.ReadAllText(log).Contains("SDAE_PAUSED")) && DateTime.UtcNow < deadline) Thread.Sleep(200);
            var cancelled = ChildProcess.Run("scancel", ["--name=sdae-sweep"]);
            Assert.That(File.Exists(log) ? File.ReadAllText(log) : "no run.log", Does.Contain("SDAE_PAUSED"));
            Assert.That(cancelled.ExitCode, Is.EqualTo(0), cancelled.All);
            var result = running.GetAwaiter().GetResult().Single();
            Assert.That(result.State, Is.EqualTo(RunState.Failed));
            Assert.That(result.Note, Does.StartWith("Slurm: CANCELLED").And.Contain("slurm-"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SDAE_TEST_PAUSE_AT", null);
        }
    }

    [Test]
    public void TheSweepCommandStartsMultiRankRunsUnderSrun()
    {
        if (ChildProcess.Which("mpirun") is null) Assert.Ignore("Open MPI is not installed (scripts/install-mpi.sh).");
        Sweep("ranks", "  parallel: {}");
        var result = ChildProcess.Run("dotnet", [Sdae, "sweep", Path.Combine(folder.Path, "ranks.yaml"), "--executor", "slurm", "--ranks-per-run", "2", "--cpus-per-run", "2"],
            timeout: TimeSpan.FromMinutes(4));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.All);
        Assert.That(result.Output, Does.Contain("parallel__seed-0: finished"));
        var log = File.ReadAllText(Path.Combine(folder.Path, "runs", "ranks", "parallel__seed-0", "run.log"));
        Assert.That(log, Does.Contain("data parallel: 2 ranks over Open MPI, 16 images of each batch of 32 per rank"));
    }
}
