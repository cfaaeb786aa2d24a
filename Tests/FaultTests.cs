using System.Diagnostics;
using System.Text;
using SdAE.Host;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Host.Sweeps;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>
/// What a crash can cost: `sdae run` killed with SIGKILL at chosen points (mid-epoch, inside a
/// checkpoint write, inside an online evaluation) and run again must end exactly where an
/// uninterrupted run ends; stale locks are taken over; a non-finite loss stops the run at its step.
/// </summary>
public class FaultTests() : StripeDataFixture(trainCount: 256, testCount: 60)
{
    /// <summary>3 epochs of 8 steps, a checkpoint every 3 steps and every epoch, k-NN after every epoch.</summary>
    string Yaml(string output) =>
        TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 3, trainLimit: 256, eval: "{ type: knn, k: 5, every: 1 }")
            .Overlay("{ pretrain: { checkpoint_every: 1, checkpoint_every_steps: 3 } }");

    static string Sdae => Path.Combine(TestContext.CurrentContext.TestDirectory, "sdae.dll");

    /// <summary>
    /// Runs `sdae run` to its end, or until it pauses at <paramref name="pauseAt"/> and is killed with SIGKILL there
    /// (or sent <paramref name="signal"/>, e.g. TERM, which lets it go on to stop by itself).
    /// </summary>
    static (int ExitCode, string Output) RunSdae(string experiment, string? pauseAt = null, string? signal = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Sdae, "run", experiment }) start.ArgumentList.Add(argument);
        if (pauseAt is not null) start.Environment[PausePoints.Variable] = pauseAt;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var paused = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith("SDAE_PAUSED")) paused.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (pauseAt is not null)
        {
            var exited = process.WaitForExitAsync();
            if (Task.WaitAny([paused.Task, exited], TimeSpan.FromMinutes(2)) != 0)
                Assert.Fail($"sdae never paused at {pauseAt}:\n{output}");
            if (signal is null) process.Kill();   // SIGKILL: no finally blocks, no flushing, no lock release
            else Assert.That(ChildProcess.Run("kill", ["-s", signal, process.Id.ToString()]).ExitCode, Is.EqualTo(0));
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(); Assert.Fail($"sdae did not finish:\n{output}"); }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>What a finished run leaves that must not depend on interruptions: step losses, epoch lines, evaluations, results, final weights.</summary>
    static (List<string> Metrics, string Results, byte[] Weights) Outcome(string runFolder)
    {
        var run = new RunFolder(runFolder);
        var metrics = run.Metrics.Read()
            .Select(r => $"{r.Step} {r.Evaluation} " + string.Join(",", r.Values.Where(v => v.Key is not ("images_per_second")).OrderBy(v => v.Key).Select(v => $"{v.Key}={v.Value:R}")))
            .ToList();
        var results = run.ReadResults();
        var heads = string.Join(";", results.Heads.Select(h => $"{h.Label}:{string.Join(",", h.Result.Metrics.Select(m => $"{m.Key}={m.Value:R}"))}"));
        return (metrics, heads, CheckpointWeights(run.CheckpointPath));
    }

    /// <summary>A checkpoint's bytes after its header (which holds the wall-clock training time): names, tensors, generator states.</summary>
    static byte[] CheckpointWeights(string path)
    {
        var bytes = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        reader.ReadString();
        reader.ReadString();
        return bytes[(int)reader.BaseStream.Position..^32];
    }

    [Test]
    public void KilledWithSigkillAtAnyPointAndRunAgainEndsExactlyAsAnUninterruptedRun()
    {
        var whole = RunSdae(folder.Write("whole.yaml", Yaml("whole")));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);
        var expected = Outcome(Path.Combine(folder.Path, "whole", "tiny", "default"));

        var random = new Random(12345);
        var points = new[]
        {
            $"{PausePoints.Step}:{random.Next(1, 9)}",                // mid-epoch 1, at a random step (before or after the first checkpoint)
            $"{PausePoints.Step}:{random.Next(9, 24)}",               // mid-epoch 2 or 3
            $"{PausePoints.CheckpointWrite}:{random.Next(2, 10)}",    // inside one of the 10 checkpoint writes, after the first, before it replaces the last one
            $"{PausePoints.Evaluation}:1",                            // inside the online evaluation after epoch 1
            $"{PausePoints.Evaluation}:2",                            // and after epoch 2
        };
        foreach (var point in points)
        {
            var name = "killed-" + point.Replace(':', '-');
            var experiment = folder.Write(name + ".yaml", Yaml(name));
            var killed = RunSdae(experiment, pauseAt: point);
            Assert.That(killed.ExitCode, Is.Not.EqualTo(0), $"{point}: the process was killed");
            bool hadCheckpoint = new RunFolder(Path.Combine(folder.Path, name, "tiny", "default")).HasCheckpoint;
            var resumed = RunSdae(experiment);
            Assert.That(resumed.ExitCode, Is.EqualTo(0), $"{point}:\n{resumed.Output}");
            Assert.That(resumed.Output, Does.Contain("taking over"), $"{point}: the dead process's lock is taken over\n{resumed.Output}");
            if (hadCheckpoint) Assert.That(resumed.Output, Does.Contain("resuming from"), $"{point}: and its last checkpoint resumes\n{resumed.Output}");
            TestContext.Out.WriteLine($"{point}: " + (hadCheckpoint ? resumed.Output.Split('\n').First(l => l.Contains("resuming from")) : "killed before the first checkpoint; started over"));

            var actual = Outcome(Path.Combine(folder.Path, name, "tiny", "default"));
            Assert.That(actual.Metrics, Is.EqualTo(expected.Metrics), $"{point}: metrics.jsonl");
            Assert.That(actual.Results, Is.EqualTo(expected.Results), $"{point}: results.json");
            Assert.That(actual.Weights.AsSpan().SequenceEqual(expected.Weights), Is.True, $"{point}: the final checkpoint's tensors");
            var checkpoints = Path.Combine(folder.Path, name, "tiny", "default", "checkpoints");
            Assert.That(Directory.GetFiles(checkpoints).Select(Path.GetFileName), Is.EquivalentTo(new[] { "last.ckpt", "previous.ckpt" }), $"{point}: no unfinished write is left");
        }
    }

    [TestCase("INT", 130)]
    [TestCase("TERM", 143)]
    public void ASignalMidEpochCostsOnlyTheStepCheckpointsThereAndTheRerunEndsAsAnUninterruptedRun(string signal, int exitCode)
    {
        // a shell that starts a job in the background sets SIGINT to ignored, and a child inherits that (as POSIX says it should)
        if (signal == "INT" && InheritedAsIgnored(signalNumber: 2))
            Assert.Ignore("this test process was started with SIGINT ignored (a background job of a shell), so sdae rightly ignores it too; run the suite in the foreground to test it");
        var whole = RunSdae(folder.Write("whole.yaml", Yaml("whole")));
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);
        var experiment = folder.Write($"sig{signal}.yaml", Yaml($"sig{signal}"));
        var run = new RunFolder(Path.Combine(folder.Path, $"sig{signal}", "tiny", "default"));

        // step 5 of epoch 1: no step checkpoint is due there (every 3 steps), so the one found is the signal's
        var stopped = RunSdae(experiment, pauseAt: $"{PausePoints.Step}:5", signal: signal);
        Assert.That(stopped.ExitCode, Is.EqualTo(exitCode), stopped.Output);
        Assert.That(stopped.Output, Does.Contain($"stopped by SIG{signal} after step 5").And.Contain("run the same command again"));
        var header = Checkpoint.ReadHeaderOf(run.CheckpointPath);
        Assert.That((header.Step, header.StepInEpoch), Is.EqualTo((5L, 5L)), "the checkpoint is the signal's, after the step it finished");
        Assert.That(File.Exists(RunLock.PathIn(run.Path)), Is.False, "the lock is released");
        Assert.That(run.HasResults, Is.False);

        var resumed = RunSdae(experiment);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Output);
        Assert.That(resumed.Output, Does.Contain("5 of 8 steps of epoch 1").And.Not.Contain("taking over"));
        var (expected, actual) = (Outcome(Path.Combine(folder.Path, "whole", "tiny", "default")), Outcome(run.Path));
        Assert.That(actual.Metrics, Is.EqualTo(expected.Metrics), "metrics.jsonl");
        Assert.That(actual.Results, Is.EqualTo(expected.Results), "results.json");
        Assert.That(actual.Weights.AsSpan().SequenceEqual(expected.Weights), Is.True, "the final checkpoint's tensors");
    }

    [TestCase(true)]    // Ctrl-C in a terminal, timeout, kill -- -PGID: with the runs in the sweep's group, each would get the group's signal and the sweep's
    [TestCase(false)]   // kill PID: without the sweep passing it on, its runs would go on as orphans
    public void ASigtermToTheSweepOrItsProcessGroupStopsEachRunOnceGracefullyAndTheNextSweepResumesThem(bool toProcessGroup)
    {
        Assume.That(RunSessions.Available, "setsid (util-linux) is not installed: sweep runs share the sweep's process group");
        var experiment = folder.Write("tiny.yaml", Yaml("sweeps"));
        var sweepFile = folder.Write("stop.yaml", "sweep: stop\nbase: tiny.yaml\nvariants: { a: {} }\ngrid: { seed: [0, 1] }\n");
        var first = new RunFolder(Path.Combine(folder.Path, "sweeps", "stop", "a__seed-0"));

        // the sweep leads a process group of its own, as a shell job does, so the test can signal that group
        var start = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "dotnet", Sdae, "sweep", sweepFile, "--jobs", "1" }) start.ArgumentList.Add(argument);
        start.Environment[PausePoints.Variable] = $"{PausePoints.Step}:5";   // every run pauses at its step 5
        using var sweep = Process.Start(start)!;
        var output = sweep.StandardOutput.ReadToEndAsync();
        var errors = sweep.StandardError.ReadToEndAsync();
        int runPid = PausedRunPid(first.LogPath, sweep);

        var target = toProcessGroup ? $"-{sweep.Id}" : sweep.Id.ToString();
        Assert.That(ChildProcess.Run("kill", ["-s", "TERM", "--", target]).ExitCode, Is.EqualTo(0));
        if (!sweep.WaitForExit(TimeSpan.FromMinutes(2))) { sweep.Kill(entireProcessTree: true); Assert.Fail("the sweep did not stop"); }
        var said = output.Result + errors.Result;
        Assert.That(sweep.ExitCode, Is.EqualTo(StopSignal.TerminateExitCode), said);
        Assert.That(said, Does.Contain("sweep stopped by SIGTERM").And.Contain("2 runs stopped").And.Not.Contain("   at "));
        Assert.That(Directory.Exists($"/proc/{runPid}"), Is.False, "the run's process has ended with the sweep");
        Assert.That(File.ReadAllText(first.LogPath), Does.Contain("stopped by SIGTERM after step 5"), "the run got one signal and stopped by itself");
        Assert.That(Checkpoint.ReadHeaderOf(first.CheckpointPath).Step, Is.EqualTo(5L), "its checkpoint is the stop's");

        var again = ChildProcess.Run("dotnet", [Sdae, "sweep", sweepFile, "--jobs", "1"]);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Output);
        Assert.That(again.Output, Does.Contain("2 of 2 runs finished"));
        Assert.That(File.ReadAllText(first.LogPath), Does.Contain("5 of 8 steps of epoch 1"), "the stopped run resumed where it stopped");
    }

    /// <summary>Waits for the sweep's first run to pause (its log says so) and returns that run's process id.</summary>
    static int PausedRunPid(string runLog, Process sweep)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2) && !sweep.HasExited)
        {
            var paused = File.Exists(runLog) ? File.ReadLines(runLog).FirstOrDefault(l => l.StartsWith("SDAE_PAUSED")) : null;
            if (paused is not null) return int.Parse(paused.Split(' ')[^1]);
            Thread.Sleep(200);
        }
        if (!sweep.HasExited) sweep.Kill(entireProcessTree: true);
        Assert.Fail($"the sweep's first run never paused (log: {runLog})");
        return 0;
    }

    /// <summary>Whether this process was started with the signal ignored (its bit in /proc/self/status's SigIgn mask).</summary>
    static bool InheritedAsIgnored(int signalNumber)
    {
        var mask = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:"));
        return mask is not null && (Convert.ToUInt64(mask["SigIgn:".Length..].Trim(), 16) & (1UL << (signalNumber - 1))) != 0;
    }

    [Test]
    public void OfTwoConcurrentRunsOnOneFolderExactlyOneTrains()
    {
        var experiment = folder.Write("two.yaml", Yaml("two"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Sdae, "run", experiment }) start.ArgumentList.Add(argument);
        start.Environment[PausePoints.Variable] = $"{PausePoints.Step}:2";
        using var first = Process.Start(start)!;
        try
        {
            while (first.StandardOutput.ReadLine() is { } line && !line.StartsWith("SDAE_PAUSED")) { }
            var second = RunSdae(experiment);
            Assert.That(second.ExitCode, Is.EqualTo(2), second.Output);
            Assert.That(second.Output, Does.Contain($"is in use by process {first.Id}"));
            Assert.That(first.HasExited, Is.False, "the first run is untouched");
        }
        finally
        {
            first.Kill();
            first.WaitForExit();
        }
    }

    [Test]
    public void AStaleLockIsTakenOverWithAWarning()
    {
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        var runFolder = Path.Combine(folder.Path, "runs", "tiny", "default");
        Directory.CreateDirectory(runFolder);
        File.WriteAllText(RunLock.PathIn(runFolder),
            System.Text.Json.JsonSerializer.Serialize(new RunLock.Owner(finished.Id, Environment.MachineName, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(-5))));
        var display = new RecordingDisplay();
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1)));
        using (var session = TrainingSession.Open(loaded, display))
        {
            Assert.That(display.Lines, Has.Some.Contains("taking over").And.Contain($"process {finished.Id}"));
            Assert.That(RunLock.Read(RunLock.PathIn(runFolder))!.ProcessId, Is.EqualTo(Environment.ProcessId), "the lock is now this process's");
        }
        Assert.That(File.Exists(RunLock.PathIn(runFolder)), Is.False, "and released when the session ends");
    }

    [Test]
    public void ANonFiniteLossIsCaughtAtItsStepNotAtTheNextLoggingStep()
    {
        // a near-zero std makes the inputs overflow: the loss is infinite from step 1, the first logging step is 8 (the epoch's end)
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2)
            .Overlay("{ data: { mean: [0.5], std: [1.0e-30] }, pretrain: { log_every: 1000 } }");
        using var loaded = ExperimentLoader.Load(folder.Write("nan.yaml", yaml));
        var e = Assert.Throws<UserError>(() => new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run())!;
        var step = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"at step (\d+)").Groups[1].Value);
        TestContext.Out.WriteLine(e.Message);
        Assert.That(step, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain("learning rate"));
        Assert.That(e.Fix, Does.Contain("clip_grad"));
        var run = RunFolder.For(loaded.Experiment);
        Assert.That(run.Metrics.Read().Where(r => r.IsStep).Select(r => r.Step), Is.All.LessThan(step), "no step at or after the bad one is logged");
        if (run.HasCheckpoint)
            Assert.That(Checkpoint.ReadHeaderOf(run.CheckpointPath).Step, Is.LessThan(step), "the checkpoint predates the bad step");
    }
}
