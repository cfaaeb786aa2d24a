using SdAE.Abstractions.Randomness;
using SdAE.Abstractions.Data;
using static TorchSharp.torch;

namespace SdAE.Host.Data;

/// <summary>
/// The label-scarce training set: N images of each class, drawn once from the experiment seed. Every
/// head and every method with the same seed gets the same images, and a smaller N is a subset of a
/// larger one (each class's images are taken in one seeded order).
/// </summary>
public sealed class BalancedSubset : IImageDataset, IDisposable
{
    readonly IImageDataset source;

    BalancedSubset(IImageDataset source, Tensor indices, int perClass)
    {
        this.source = source;
        Indices = indices.DetachFromDisposeScope();
        Labels = source.Labels.index_select(0, Indices).DetachFromDisposeScope();
        Name = $"{source.Name}@{perClass}";
    }

    /// <summary>int64 [ClassCount x N]: the chosen images' indices in the source, class by class.</summary>
    public Tensor Indices { get; }

    /// <summary>Fails now, with what to change, when a class has fewer than <paramref name="perClass"/> training images.</summary>
    public static void Require(IImageDataset source, int perClass)
    {
        using var scope = NewDisposeScope();
        var counts = source.Labels.bincount(null, source.ClassCount).data<long>().ToArray();
        int smallest = Array.IndexOf(counts, counts.Min());
        if (counts[smallest] < perClass)
            throw new UserError($"labels_per_class {perClass} needs {perClass} training images of class {smallest}, but {source.Name} has {counts[smallest]}.",
                $"use labels_per_class {counts[smallest]} or less.");
    }

    public static BalancedSubset Of(IImageDataset source, int perClass, int seed)
    {
        Require(source, perClass);
        using var scope = NewDisposeScope();
        using var generator = Seeding.Generator(seed, RandomStream.LabelledSubset);
        var order = randperm(source.Count, generator: generator);
        var labels = source.Labels.index_select(0, order);
        var chosen = new List<Tensor>();
        for (int c = 0; c < source.ClassCount; c++)
        {
            chosen.Add(order.masked_select(labels.eq(c)).narrow(0, 0, perClass));
        }
        return new BalancedSubset(source, cat(chosen), perClass);
    }

    public string Name { get; }
    public long Count => Indices.shape[0];
    public int Channels => source.Channels;
    public int ImageSize => source.ImageSize;
    public int ClassCount => source.ClassCount;
    public Tensor Labels { get; }
    public (float[] Mean, float[] Std) Normalization => source.Normalization;

    public Tensor Images(Tensor indices)
    {
        using var scope = NewDisposeScope();
        return source.Images(Indices.index_select(0, indices)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Indices.Dispose();
        Labels.Dispose();
    }
}
