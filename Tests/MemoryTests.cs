using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Tests.Support;
using TorchSharp;

namespace SdAE.Tests;

/// <summary>No tensor leaks: the live-tensor count of the training thread (TorchSharp's dispose-scope statistics) stays flat.</summary>
public class MemoryTests() : StripeDataFixture(trainCount: 256, testCount: 100)
{
    static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    [TestCase("random", "pixel")]
    [TestCase("multi_fold", "teacher_latent")]
    public void TwoHundredPreTrainingStepsLeaveTheLiveTensorCountFlat(string masking, string target)
    {
        // 32 steps per epoch (batch 8); after the first epoch (which creates the optimizer state) the count must not move
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 8)
            .Overlay($"{{ masking: {{ type: {masking}, ratio: 0.75 }}, target: {{ type: {target} }}, pretrain: {{ batch: 8, log_every: 5 }} }}");
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml));
        using var session = TrainingSession.Open(loaded, SilentTrainingDisplay.Instance);
        var state = session.StartOrResume(SilentTrainingDisplay.Instance);
        var runner = new EpochRunner(session, SilentTrainingDisplay.Instance);
        (state, _, _) = runner.Run(state, () => 0);
        runner.LogEpochEnd(state, 0);
        long afterFirstEpoch = LiveTensors;
        while (state.CompletedEpochs < 8)
        {
            (state, _, _) = runner.Run(state, () => 0);
            runner.LogEpochEnd(state, 0);
            session.SaveCheckpoint(state);
        }
        Assert.That(state.Step, Is.EqualTo(256));
        Assert.That(LiveTensors, Is.EqualTo(afterFirstEpoch), "224 more steps, with health probes and checkpoints, create no tensor they keep");
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
        var environment = session.Environment;
        void EvaluateAll() => Evaluator.RunAll(loaded.Experiment.Eval, loaded.Catalog, session.Model.EncoderFor, environment.EvalTrain, environment.EvalTest, environment.Context);
        EvaluateAll();
        long afterFirst = LiveTensors;
        EvaluateAll();
        EvaluateAll();
        Assert.That(LiveTensors, Is.EqualTo(afterFirst));
    }
}
