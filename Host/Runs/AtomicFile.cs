namespace SdAE.Host.Runs;

/// <summary>
/// Writes a file completely or not at all: to a temporary file beside it, then renamed over the
/// old one, so a crash or a reader never sees a half-written file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Lets <paramref name="writeTo"/> write a temporary path (same extension), then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> writeTo)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // unique per writer: parallel runs (a sweep) may write the same shared file at once
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!,
            $".{Path.GetFileNameWithoutExtension(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp{Path.GetExtension(path)}");
        try
        {
            writeTo(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes through a stream; with <paramref name="flushToDisk"/>, the bytes reach the disk before the rename (checkpoints).</summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk = false) => Write(path, temporary =>
    {
        using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write);
        write(stream);
        stream.Flush(flushToDisk);
    });

    public static void WriteAllText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));
}
