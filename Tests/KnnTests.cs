using SdAE.Plugins.Heads;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class KnnTests
{
    static (Tensor Features, Tensor Labels) Clusters(int count, int classes, Generator generator)
    {
        var labels = arange(count).remainder(classes);
        var centres = eye(classes, 16) * 5;
        return (centres[labels] + randn(count, 16, generator: generator) * 0.5, labels);
    }

    [Test]
    public void SeparableClustersAreClassifiedAlmostPerfectly()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        var (train, trainLabels) = Clusters(1000, 5, generator);
        var (test, testLabels) = Clusters(300, 5, generator);
        var predictions = KnnHead.Classify(train, trainLabels, test, 5, k: 20, temperature: 0.07, chunk: 64);
        var accuracy = predictions.eq(testLabels).to_type(ScalarType.Float32).mean().item<float>();
        Assert.That(accuracy, Is.GreaterThan(0.98));
    }

    [Test]
    public void ShuffledLabelsGiveChance()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        var (train, trainLabels) = Clusters(2000, 5, generator);
        var (test, testLabels) = Clusters(1000, 5, generator);
        var shuffled = trainLabels[randperm(2000, generator: generator)];
        var predictions = KnnHead.Classify(train, shuffled, test, 5, k: 20, temperature: 0.07, chunk: 128);
        var accuracy = predictions.eq(testLabels).to_type(ScalarType.Float32).mean().item<float>();
        Assert.That(accuracy, Is.InRange(0.12, 0.28), "chance is 0.2");
    }
}
