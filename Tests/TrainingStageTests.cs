using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>The pre-training loop's stages: the checkpoint policy on its own clock, and one epoch of the loop with its logs, online evaluation and checkpoint.</summary>
public class TrainingStageTests() : StripeDataFixture(trainCount: 256, testCount: 100)
{
    /// <summary>A clock the test moves by hand.</summary>
    sealed class ManualClock : TimeProvider
    {
        long ticks;
        public void Advance(TimeSpan by) => ticks += by.Ticks;
        public override long GetTimestamp() => ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }

    [TestCase(0, new[] { 4 })]
    [TestCase(1, new[] { 1, 2, 3, 4 })]
    [TestCase(3, new[] { 3, 4 })]
    public void EpochCheckpointsAreDueEveryNEpochsAndAtTheEnd(int every, int[] due)
    {
        var policy = new CheckpointPolicy(new PretrainOptions { Epochs = 4, CheckpointEvery = every }, new ManualClock());
        Assert.That(Enumerable.Range(1, 4).Where(epoch => policy.DueAfterEpoch(epoch, step: 10L * epoch + 1)), Is.EqualTo(due));
    }

    [Test]
    public void StepCheckpointsAreDueEveryNStepsAndAlsoAtAnEpochEndThatFallsOnOne()
    {
        var policy = new CheckpointPolicy(new PretrainOptions { Epochs = 10, CheckpointEvery = 0, CheckpointEverySteps = 4 }, new ManualClock());
        Assert.That(Enumerable.Range(1, 12).Where(step => policy.DueAfterStep(step)), Is.EqualTo(new[] { 4, 8, 12 }));
        Assert.That(policy.DueAfterEpoch(3, step: 8), Is.True, "the epoch's last step is a step checkpoint");
        Assert.That(policy.DueAfterEpoch(3, step: 9), Is.False);
    }

    [Test]
    public void MinuteCheckpointsCountFromTheLastCheckpointOnThePolicysClock()
    {
        var clock = new ManualClock();
        var policy = new CheckpointPolicy(new PretrainOptions { Epochs = 10, CheckpointEvery = 0, CheckpointEveryMinutes = 5 }, clock);
        clock.Advance(TimeSpan.FromMinutes(4.9));
        Assert.That(policy.DueAfterStep(1), Is.False);
        clock.Advance(TimeSpan.FromMinutes(0.2));
        Assert.That((policy.DueAfterStep(2), policy.DueAfterEpoch(1, 2)), Is.EqualTo((true, true)));
        policy.Saved();
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(policy.DueAfterStep(3), Is.False, "saving restarts the clock");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(policy.DueAfterStep(4), Is.True);
    }

    [Test]
    public void OneEpochLogsItsStepsItsEndAndItsOnlineEvaluationThenCheckpointsAndResumesThere()
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2, eval: "{ type: knn, k: 5, every: 1 }");
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml));
        using (var outcome = new Pretrainer(loaded, SilentTrainingDisplay.Instance, stopAfterEpochs: 1).Run())
        {
            Assert.That(outcome.Heads, Is.Empty, "stopped early: no final evaluation");
            Assert.That(outcome.EpochLosses, Has.Count.EqualTo(1));
            var records = outcome.Folder.Metrics.Read();
            Assert.That(records.Count(r => r.IsStep), Is.EqualTo(8), "log_every: 1, 256 images in batches of 32");
            Assert.That(records.Single(r => r.IsEpochEnd).Values[MetricsLog.EpochLoss], Is.EqualTo(outcome.EpochLosses[0]).Within(1e-6));
            var evaluation = records.Single(r => r.Evaluation is not null);
            Assert.That((evaluation.Evaluation, evaluation.Epoch, evaluation.Step), Is.EqualTo(("knn", 1.0, 8L)));
            Assert.That(evaluation.Values["top1"], Is.InRange(0.0, 1.0));
            Assert.That(Checkpoint.ReadHeaderOf(outcome.Folder.CheckpointPath).CompletedEpochs, Is.EqualTo(1));
        }
        using var again = TrainingSession.Open(loaded, SilentTrainingDisplay.Instance);
        var state = again.StartOrResume(SilentTrainingDisplay.Instance);
        Assert.That((state.CompletedEpochs, state.Step, state.StepInEpoch), Is.EqualTo((1, 8L, 0L)), "resuming reads back the saved state");
    }
}
