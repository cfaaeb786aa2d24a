namespace SdAE.Abstractions.Randomness;

/// <summary>
/// The named random streams of a run. Each stream's seed is derived from the experiment seed by
/// <see cref="Seeding.Derive"/>, so two streams never share draws and a stream is the same in every
/// process. The numbers are part of the contract: changing one changes every result drawn from it.
/// </summary>
public enum RandomStream
{
    /// <summary>The order of the training images in a pre-training epoch.</summary>
    EpochOrder = 1,
    /// <summary>The mask plans of pre-training batches.</summary>
    Masks = 2,
    /// <summary>TorchSharp's default generators during pre-training (drop path), one per rank.</summary>
    ModelNoise = 3,
    /// <summary>Crops and flips of pre-training images.</summary>
    Augmentation = 4,
    /// <summary>The mask drawn for the reconstruction picture.</summary>
    PictureMask = 5,
    /// <summary>Which images make a head's label-scarce subset (N labelled images per class).</summary>
    LabelledSubset = 6,
    /// <summary>The mask drawn for the health diagnostics' probe batch.</summary>
    HealthProbe = 7,
    /// <summary>The order of a head's training images per epoch (linear probe, fine-tuning).</summary>
    HeadOrder = 8,
    /// <summary>A head's initial weights and its default generators (dropout, drop path), one per rank.</summary>
    HeadWeights = 9,
    /// <summary>Crops and flips of a head's training images.</summary>
    HeadAugmentation = 10,
    /// <summary>The scenes a dense head trains on; the index tells the heads' scene sets apart.</summary>
    DenseTrainScenes = 11,
    /// <summary>The scenes a dense head is tested on.</summary>
    DenseTestScenes = 12,
    /// <summary>Which files of a folder dataset are held out (`val_fraction`); the index is the class name's stable hash.</summary>
    HeldOutSplit = 13,
    /// <summary>Images a dataset plugin synthesises; the index is the image's.</summary>
    SyntheticImages = 14,
}
