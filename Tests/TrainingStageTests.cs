using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>The stages of the pre-training loop, each run on its own.</summary>
public class TrainingStageTests() : StripeDataFixture(trainCount: 256, testCount: 100)
{
    [TestCase(0, new[] { 4 })]
    [TestCase(1, new[] { 1, 2, 3, 4 })]
    [TestCase(3, new[] { 3, 4 })]
    public void CheckpointsAreDueEveryNEpochsAndAtTheEnd(int every, int[] due)
    {
        var pretrain = new PretrainOptions { Epochs = 4, CheckpointEvery = every };
        Assert.That(Enumerable.Range(1, 4).Where(epoch => TrainingSession.CheckpointDue(pretrain, epoch)), Is.EqualTo(due));
    }

    [Test]
    public void OneEpochAdvancesTheStateLogsItAndAnOnlineEvaluationWritesItsHeadsLine()
    {
        var yaml = TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 2, eval: "{ type: knn, k: 5, every: 1 }");
        using var loaded = ExperimentLoader.Load(folder.Write("tiny.yaml", yaml));
        var session = TrainingSession.Open(loaded, SilentTrainingDisplay.Instance);
        var start = session.StartOrResume(SilentTrainingDisplay.Instance);
        Assert.That(start, Is.EqualTo(new TrainingState(0, 0, 0)), "a fresh run starts at zero");

        var runner = new EpochRunner(session, SilentTrainingDisplay.Instance);
        var (after, loss, images) = runner.Run(start, () => 0);
        runner.LogEpochEnd(after, loss);
        Assert.That((after.CompletedEpochs, after.Step, images), Is.EqualTo((1, 256L / 32, 256L)));
        Assert.That(double.IsFinite(loss), Is.True);
        var records = session.Folder.Metrics.Read();
        Assert.That(records.Count(r => r.IsStep), Is.EqualTo(8), "log_every: 1");
        Assert.That(records.Single(r => r.IsEpochEnd).Values[MetricsLog.EpochLoss], Is.EqualTo(loss));

        new OnlineEvaluation(session, SilentTrainingDisplay.Instance).RunIfDue(after);
        var evaluation = session.Folder.Metrics.Read().Single(r => r.Evaluation is not null);
        Assert.That((evaluation.Evaluation, evaluation.Epoch, evaluation.Step), Is.EqualTo(("knn", 1.0, 8L)));
        Assert.That(evaluation.Values["top1"], Is.InRange(0.0, 1.0));

        session.SaveCheckpoint(after);
        session.Dispose();   // one writer per run folder: the next session takes the lock
        using var again = TrainingSession.Open(loaded, SilentTrainingDisplay.Instance);
        Assert.That(again.StartOrResume(SilentTrainingDisplay.Instance), Is.EqualTo(after), "resuming reads back the saved state");
    }
}
