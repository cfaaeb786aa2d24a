using SdAE.Abstractions.Randomness;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;

namespace MyPlugin;

/// <summary>What an experiment's data section binds: `data: { type: my_plugin, count: 2048 }` (the host's keys, such as image_size, sit beside these).</summary>
public sealed class MyPluginOptions
{
    [Range(10, 10_000_000), Description("Training images.")]
    public int Count { get; set; } = 5000;

    [Range(0, 10_000_000), Description("Test images; 0: no test split.")]
    public int TestCount { get; set; } = 1000;

    [Range(8, 1024), Description("Image side in pixels.")]
    public int Size { get; set; } = 28;

    [Description("Seeds the noise; the same seed gives the same images.")]
    public int Seed { get; set; }
}

/// <summary>
/// A dataset plugin: opens a split as an <see cref="IImageSource"/> that writes each image's uint8
/// pixels (channel-major) on request and gives its label. This one generates grayscale stripes (ten
/// classes: orientation and period) with noise, so it needs no files; a real reader opens files in
/// <see cref="Open"/> and decodes one in <see cref="IImageSource.Read"/>. The host decodes every image
/// once (into a cache when you give a CacheKey), resizes, normalises and augments.
/// </summary>
public sealed class MyPluginDataset(MyPluginOptions options) : IDatasetSource
{
    public IImageSource? Open(DataSplit split, DataRequest request)
    {
        int count = split == DataSplit.Train ? options.Count : options.TestCount;
        if (count == 0) return null;
        int seed = options.Seed * 2 + (split == DataSplit.Train ? 0 : 1);
        return new Stripes($"my_plugin/{split.ToString().ToLowerInvariant()}", count, options.Size, seed);
    }

    sealed class Stripes(string name, int count, int size, int seed) : IImageSource
    {
        static readonly string[] Classes = ["vertical-2", "horizontal-2", "vertical-3", "horizontal-3", "vertical-4", "horizontal-4", "vertical-5", "horizontal-5", "vertical-6", "horizontal-6"];

        public string Name => name;
        public int Count => count;
        public int Channels => 1;
        public int Size => size;
        public IReadOnlyList<string> ClassNames => Classes;
        public IReadOnlyList<int> Labels { get; } = [.. Enumerable.Range(0, count).Select(i => i % Classes.Length)];
        public (float[] Mean, float[] Std)? KnownNormalization => null;   // the host measures it over the training split
        public string? CacheKey => null;                                   // cheap to make: nothing to cache

        public void Read(int index, Span<byte> destination)
        {
            int label = index % Classes.Length, period = 2 + label / 2;
            bool vertical = label % 2 == 0;
            var random = Seeding.Random(seed, RandomStream.SyntheticImages, index);   // per image, so reads on several threads agree
            int phase = random.Next(period);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int coordinate = (vertical ? x : y) + phase;
                    int value = (coordinate / period % 2 == 0 ? 200 : 40) + random.Next(-30, 31);
                    destination[y * size + x] = (byte)Math.Clamp(value, 0, 255);
                }
        }

        public void Dispose() { }
    }
}

/// <summary>Found by the host in the plugin's assembly: registers the plugin under its `type:` name.</summary>
public sealed class MyPluginModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IDatasetSource, MyPluginDataset, MyPluginOptions>(PluginKind.Dataset, "my_plugin",
            "Generated grayscale stripes, ten classes (an example dataset that needs no files).");
}
