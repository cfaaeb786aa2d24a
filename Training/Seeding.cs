using static TorchSharp.torch;

namespace SdAE.Training;

/// <summary>Seeds every default random generator: TorchSharp's manual_seed seeds the CPU one only.</summary>
public static class Seeding
{
    /// <summary>The CPU generator and, where there is a GPU, every CUDA generator (drop path and dropout draw from those on a GPU).</summary>
    public static void SeedAll(long seed)
    {
        manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }
}
