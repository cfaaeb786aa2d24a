using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Tests.Support;

namespace SdAE.Tests;

/// <summary>pretrain.accumulate: a batch as N micro-batches, one optimizer step, trains as the whole batch does.</summary>
public class AccumulationTests() : StripeDataFixture(trainCount: 256, testCount: 60)
{
    /// <summary>SdAE with the teacher updated every step, augmentation on, drop path off (micro-batches draw it in another order).</summary>
    string Sdae(string output, string extra) => TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, output), epochs: 2)
        .Overlay("{ backbone: { drop_path: 0 }, masking: { type: multi_fold, ratio: 0.75, folds: 2 }, " +
                 "target: { type: teacher_latent, momentum: [0.99, 0.999], update: iteration } }")
        .Overlay(extra);

    [Test]
    public void FourMicroBatchesOfEightTrainAsOneBatchOf32StepForStepTeacherIncluded()
    {
        using var whole = ExperimentLoader.Load(folder.Write("whole.yaml", Sdae("whole", "{}")));
        using var micro = ExperimentLoader.Load(folder.Write("micro.yaml", Sdae("micro", "{ pretrain: { accumulate: 4 } }")));
        foreach (var loaded in new[] { whole, micro })
            using (new Pretrainer(loaded, SilentTrainingDisplay.Instance).Run()) { }
        var wholeLosses = SameTraining.StepLosses(RunFolder.For(whole.Experiment));
        var microLosses = SameTraining.StepLosses(RunFolder.For(micro.Experiment));
        Assert.That(microLosses, Has.Count.EqualTo(16).And.Count.EqualTo(wholeLosses.Count), "optimizer steps: 256 / 32 per epoch, 2 epochs");
        for (int i = 0; i < wholeLosses.Count; i++)
            Assert.That(microLosses[i], Is.EqualTo(wholeLosses[i]).Within(1e-5), $"step {i + 1}");
        var differences = SameTraining.CheckpointDifferences(whole, micro);
        Assert.That(differences.Select(d => d.Name), Has.Some.StartsWith("target_state."), "the teacher is compared too");
        Assert.That(differences.Where(d => d.Difference > 1e-5).Select(d => $"{d.Name}: {d.Difference:E2}"), Is.Empty);
    }

    [Test]
    public void MicroBatchesThatDoNotSplitTheBatchAreRefusedAtTheKey()
    {
        var e = Assert.Throws<ExperimentError>(() => ExperimentLoader.Load(folder.Write("bad.yaml", Sdae("bad", "{ pretrain: { accumulate: 5 } }"))))!;
        Assert.That(e.Message, Does.Contain("accumulate").And.Contain("32"));
    }

    [Test]
    public void FineTuningMicroBatchesBeyondTheBatchAreRefusedAtTheKey()
    {
        var yaml = Sdae("bad_head", "{}").Overlay("{ eval: [ { type: finetune, batch: 16, accumulate: 32 } ] }");
        var e = Assert.Throws<ExperimentError>(() => ExperimentLoader.Load(folder.Write("bad_head.yaml", yaml)))!;
        Assert.That(e.Message, Does.Contain("accumulate").And.Contain("16"));
    }

    [Test]
    public void ARunFolderWrittenBeforeAccumulateExistedStillResumes()
    {
        var yaml = folder.Write("old.yaml", Sdae("old", "{}"));
        using (var loaded = ExperimentLoader.Load(yaml))
        using (new Pretrainer(loaded, SilentTrainingDisplay.Instance, stopAfterEpochs: 1).Run()) { }
        var config = Path.Combine(folder.Path, "old", "tiny", "default", "config.resolved.yaml");
        File.WriteAllText(config, string.Join('\n', File.ReadAllLines(config).Where(line => !line.TrimStart().StartsWith("accumulate:"))));
        using var again = ExperimentLoader.Load(yaml);
        using var outcome = new Pretrainer(again, SilentTrainingDisplay.Instance).Run();
        Assert.That(outcome.Heads, Is.Not.Null);
        Assert.That(outcome.EpochLosses, Has.Count.EqualTo(1), "it resumed after epoch 1");

        using var changed = ExperimentLoader.Load(yaml, ["pretrain.accumulate=2", "pretrain.epochs=3"]);
        Assert.Throws<UserError>(() => new Pretrainer(changed, SilentTrainingDisplay.Instance).Run(), "a real change is still refused");
    }
}
