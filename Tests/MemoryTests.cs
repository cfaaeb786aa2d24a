using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Tests.Support;
using TorchSharp;

namespace SdAE.Tests;

/// <summary>No tensor leaks: the live-tensor count of the training thread (TorchSharp's dispose-scope statistics) stays flat.</summary>
public class MemoryTests() : StripeDataFixture(trainCount: 256, testCount: 100)
{
    static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    /// <summary>Records the live-tensor count at every logged step (all at the same point of a step).</summary>
    sealed class CountingDisplay : ITrainingDisplay
    {
        public List<(long Step, long Live)> Counts { get; } = [];
        public void Info(string message) { }
        public void Report(string task, long done, long total, string? detail = null) { }
        public void Step(StepReport report) => Counts.Add((report.Step, LiveTensors));
    }

    [TestCase("random", "pixel")]
    [TestCase("multi_fold", "teacher_latent")]
    public void TwoHundredPreTrainingStepsLeaveTheLiveTensorCountFlat(string masking, string target)
    {
        // 32 steps per epoch (batch 8); after the first epoch (which creates the optimizer state) the count must not move
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 8)
            .Overlay($"{{ masking: {{ type: {masking}, ratio: 0.75 }}, target: {{ type: {target} }}, pretrain: {{ batch: 8, log_every: 5 }} }}");
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml.Overlay("{ pretrain: { checkpoint_every: 1 } }")));
        var display = new CountingDisplay();
        using (new Pretrainer(loaded, display).Run()) { }
        var afterFirstEpoch = display.Counts.Where(c => c.Step > 32).ToList();
        Assert.That(display.Counts[^1].Step, Is.EqualTo(256));
        Assert.That(afterFirstEpoch.Select(c => c.Live).Distinct(), Is.EqualTo(new[] { afterFirstEpoch[0].Live }),
            "224 more steps, with health probes and checkpoints between epochs, create no tensor they keep");
    }

    [TestCase("{ type: knn, k: 5 }")]
    [TestCase("{ type: knn, k: 5, labels_per_class: 5 }")]
    [TestCase("{ type: linear_probe, epochs: 2 }")]
    [TestCase("{ type: finetune, epochs: 1, labels_per_class: 5 }")]
    [TestCase("{ type: from_scratch, epochs: 1, labels_per_class: 5 }")]
    public void RepeatedEvaluationsLeaveTheLiveTensorCountFlat(string head)
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, eval: head);
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml));
        using var session = TrainingSession.Open(loaded, SilentTrainingDisplay.Instance);
        var evaluator = Evaluator.For(session);
        void EvaluateAll() => evaluator.Run(loaded.Experiment.Eval);
        EvaluateAll();
        long afterFirst = LiveTensors;
        EvaluateAll();
        EvaluateAll();
        Assert.That(LiveTensors, Is.EqualTo(afterFirst));
    }
}
