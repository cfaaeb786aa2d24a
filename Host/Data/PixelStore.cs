using System.IO.MemoryMappedFiles;

namespace SdAE.Host.Data;

/// <summary>
/// Decoded images, uint8 channel-major, at one size: in memory, or in a memory-mapped cache file.
/// Slots of images that could not be decoded are skipped through <see cref="Kept"/>.
/// </summary>
public abstract class PixelStore : IDisposable
{
    protected PixelStore(int channels, int size, int[] kept)
    {
        Channels = channels;
        Size = size;
        Kept = kept;
    }

    public int Channels { get; }
    public int Size { get; }
    public int ImageBytes => Channels * Size * Size;
    /// <summary>The source index of each stored image, in order.</summary>
    public int[] Kept { get; }
    public int Count => Kept.Length;

    /// <summary>Image <paramref name="index"/> (0..Count-1).</summary>
    public ReadOnlySpan<byte> Image(int index) => Slot(Kept[index]);

    /// <summary>Copies the images at <paramref name="indices"/> one after another into <paramref name="destination"/>.</summary>
    public void Gather(ReadOnlySpan<long> indices, Span<byte> destination)
    {
        for (int i = 0; i < indices.Length; i++)
            Image((int)indices[i]).CopyTo(destination.Slice(i * ImageBytes, ImageBytes));
    }

    /// <summary>The first <paramref name="count"/> images (data.train_limit / test_limit); owns this store.</summary>
    public PixelStore First(int count) => new Prefix(this, Kept[..count]);

    protected abstract ReadOnlySpan<byte> Slot(int sourceIndex);

    public virtual void Dispose() { }

    sealed class Prefix(PixelStore inner, int[] kept) : PixelStore(inner.Channels, inner.Size, kept)
    {
        protected override ReadOnlySpan<byte> Slot(int sourceIndex) => inner.Slot(sourceIndex);
        public override void Dispose() => inner.Dispose();
    }
}

public sealed class MemoryPixelStore(byte[] pixels, int channels, int size, int[] kept) : PixelStore(channels, size, kept)
{
    protected override ReadOnlySpan<byte> Slot(int sourceIndex) => pixels.AsSpan(sourceIndex * ImageBytes, ImageBytes);
}

/// <summary>A cache file of decoded images, read through the page cache rather than copied into the heap.</summary>
public sealed unsafe class MappedPixelStore : PixelStore
{
    readonly MemoryMappedFile file;
    readonly MemoryMappedViewAccessor view;
    readonly byte* start;

    public MappedPixelStore(string path, int channels, int size, int[] kept) : base(channels, size, kept)
    {
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        start = pointer + view.PointerOffset;
    }

    protected override ReadOnlySpan<byte> Slot(int sourceIndex) => new(start + (long)sourceIndex * ImageBytes, ImageBytes);

    public override void Dispose()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }
}
