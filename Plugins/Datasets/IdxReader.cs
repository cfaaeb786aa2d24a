using System.Buffers.Binary;
using System.IO.Compression;

namespace SdAE.Plugins.Datasets;

/// <summary>An IDX file (the MNIST format): its dimensions and unsigned-byte payload.</summary>
public sealed record IdxFile(int[] Dimensions, byte[] Data);

public sealed class IdxFormatException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>
/// Reads IDX files, raw or gzipped. Only the unsigned-byte element type (0x08) is accepted, which
/// is what MNIST and Fashion-MNIST use. Validates the magic number, the dimension count, and that
/// the payload is exactly as long as the dimensions say.
/// </summary>
public static class IdxReader
{
    const byte UnsignedByte = 0x08;

    public static IdxFile Read(string path, int expectedDimensions)
    {
        byte[] bytes;
        try
        {
            bytes = ReadAllMaybeGzipped(path);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, $"corrupt or truncated gzip data ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw new IdxFormatException(path, "truncated gzip data");
        }
        return Parse(path, bytes, expectedDimensions);
    }

    public static IdxFile Parse(string path, byte[] bytes, int expectedDimensions)
    {
        if (bytes.Length < 4)
            throw new IdxFormatException(path, $"too short to be an IDX file ({bytes.Length} bytes)");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new IdxFormatException(path, $"not an IDX file (magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):x8})");
        if (bytes[2] != UnsignedByte)
            throw new IdxFormatException(path, $"unsupported IDX element type 0x{bytes[2]:x2} (only unsigned bytes, 0x08)");
        int dimensionCount = bytes[3];
        if (dimensionCount != expectedDimensions)
            throw new IdxFormatException(path, $"has {dimensionCount} dimensions, expected {expectedDimensions} (is it the images file where the labels file was expected, or the other way round?)");

        int headerLength = 4 + 4 * dimensionCount;
        if (bytes.Length < headerLength)
            throw new IdxFormatException(path, "truncated inside the header");
        var dimensions = new int[dimensionCount];
        long expectedLength = 1;
        for (int d = 0; d < dimensionCount; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dimensions[d] <= 0)
                throw new IdxFormatException(path, $"dimension {d} is {dimensions[d]}");
            expectedLength *= dimensions[d];
        }
        long payload = bytes.Length - headerLength;
        if (payload < expectedLength)
            throw new IdxFormatException(path, $"truncated: the header promises {expectedLength} bytes of data, the file has {payload}");
        if (payload > expectedLength)
            throw new IdxFormatException(path, $"has {payload - expectedLength} unexpected bytes after the data");
        return new IdxFile(dimensions, bytes[headerLength..]);
    }

    /// <summary>Writes an IDX file of unsigned bytes (gzipped when the name ends in .gz).</summary>
    public static void Write(string path, int[] dimensions, byte[] data)
    {
        using var file = File.Create(path);
        using Stream output = path.EndsWith(".gz", StringComparison.Ordinal)
            ? new GZipStream(file, CompressionLevel.Fastest) : file;
        Span<byte> word = stackalloc byte[4];
        output.Write([0, 0, UnsignedByte, (byte)dimensions.Length]);
        foreach (var dimension in dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, dimension);
            output.Write(word);
        }
        output.Write(data);
    }

    static byte[] ReadAllMaybeGzipped(string path)
    {
        var raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
        using var output = new MemoryStream(raw.Length * 4);
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
