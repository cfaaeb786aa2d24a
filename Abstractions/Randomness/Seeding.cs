using System.Text;
using static TorchSharp.torch;

namespace SdAE.Abstractions.Randomness;

/// <summary>
/// The one place seeds come from: a stream's seed is a fixed function of (experiment seed, stream,
/// index, rank), the same in every process and on every machine (never <see cref="HashCode"/>,
/// which .NET randomises per process). The index is an epoch, or any position within a stream
/// (an image, a scene set); the rank tells data-parallel processes' own draws apart.
/// </summary>
public static class Seeding
{
    /// <summary>The seed of <paramref name="stream"/> at <paramref name="index"/> for <paramref name="rank"/>: non-negative, stable.</summary>
    public static long Derive(int seed, RandomStream stream, long index = 0, int rank = 0) =>
        (long)(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL)
            ^ ((ulong)index * 0xC2B2AE3D27D4EB4FUL)
            ^ ((ulong)(uint)stream * 0x165667B19E3779F9UL)
            ^ ((ulong)(uint)rank * 0xD6E8FEB86659FD93UL)) & long.MaxValue;

    /// <summary>A TorchSharp generator for the stream (the caller disposes it).</summary>
    public static Generator Generator(int seed, RandomStream stream, long index = 0, int rank = 0) =>
        new((ulong)Derive(seed, stream, index, rank));

    /// <summary>A .NET random for the stream (host-side draws: crops, flips, file orders).</summary>
    public static Random Random(int seed, RandomStream stream, long index = 0, int rank = 0) =>
        new((int)(Derive(seed, stream, index, rank) & int.MaxValue));

    /// <summary>
    /// Seeds TorchSharp's default generators (the CPU one and, where there is a GPU, every CUDA
    /// one: drop path and dropout draw from those) for the stream.
    /// </summary>
    public static void SeedDefaultGenerators(int seed, RandomStream stream, long index = 0, int rank = 0) =>
        SeedDefaultGenerators(Derive(seed, stream, index, rank));

    /// <summary>
    /// Seeds TorchSharp's default generators with <paramref name="seed"/> itself: a model's initial
    /// weights draw from the experiment seed as it is written.
    /// </summary>
    public static void SeedDefaultGenerators(long seed)
    {
        manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }

    /// <summary>A 64-bit FNV-1a hash of <paramref name="text"/>'s UTF-8 bytes, as an index: stable across processes and machines.</summary>
    public static long StableHash(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            hash = (hash ^ b) * 0x100000001B3UL;
        return (long)(hash & long.MaxValue);
    }
}
