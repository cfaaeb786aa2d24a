using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Runs;

/// <summary>
/// Where a run stands when a checkpoint is written. <see cref="StepInEpoch"/> is 0 at an epoch's
/// end; a mid-epoch checkpoint also keeps the epoch's running loss sum, so the epoch resumes at
/// the exact batch and ends with the same mean loss.
/// </summary>
public sealed record CheckpointHeader(int CompletedEpochs, long Step, long OptimizerSteps, string Experiment, double TrainSeconds,
    long StepInEpoch = 0, double EpochLossSum = 0);

/// <summary>A checkpoint that fails its integrity check: truncated, altered, or not a checkpoint at all.</summary>
public sealed class CorruptCheckpointException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>
/// One file holding a JSON header, the tensor names, the tensors (model, teacher, optimizer state,
/// random-generator states), then a SHA-256 of everything before it. Written to a temporary file
/// and flushed to disk; the previous checkpoint is moved aside only then, and the new one renamed
/// into place, so a crash at any moment leaves a complete latest or previous checkpoint. Loading
/// verifies the checksum first and checks that the names match exactly.
/// </summary>
public static class Checkpoint
{
    const string Magic = "SDAE-CKPT-2";
    const int HashBytes = 32;

    /// <summary>Writes <paramref name="path"/>, keeping the checkpoint it replaces as <paramref name="previousPath"/>.</summary>
    public static void Save(string path, string previousPath, CheckpointHeader header, IEnumerable<(string Name, Tensor Tensor)> tensors) =>
        AtomicFile.Write(path, temporary =>
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                using var sha = SHA256.Create();
                using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    var items = tensors.ToList();
                    writer.Write(Magic);
                    writer.Write(JsonSerializer.Serialize(header));
                    writer.Write(items.Count);
                    foreach (var (name, _) in items) writer.Write(name);
                    foreach (var (_, tensor) in items) tensor.Save(writer);
                }
                file.Write(sha.Hash!);
                file.Flush(flushToDisk: true);
            }
            PausePoints.Reach(PausePoints.CheckpointWrite);
            if (File.Exists(path)) File.Move(path, previousPath, overwrite: true);
        });

    /// <summary>Temporary files a killed write left beside <paramref name="path"/> (this process holds the run's lock, so none is being written).</summary>
    public static void RemoveUnfinished(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder)) return;
        foreach (var leftover in Directory.EnumerateFiles(folder, $".{System.IO.Path.GetFileNameWithoutExtension(path)}.*.tmp*"))
            File.Delete(leftover);
    }

    /// <summary>Verifies the file's checksum (without loading anything); throws <see cref="CorruptCheckpointException"/> when it fails.</summary>
    public static void Verify(string path)
    {
        using var file = File.OpenRead(path);
        if (file.Length < HashBytes + Magic.Length)
            throw new CorruptCheckpointException(path, $"{file.Length} bytes: truncated or not a checkpoint");
        var stored = new byte[HashBytes];
        file.Seek(-HashBytes, SeekOrigin.End);
        file.ReadExactly(stored);
        file.Seek(0, SeekOrigin.Begin);
        using var sha = SHA256.Create();
        var buffer = new byte[1 << 20];
        long left = file.Length - HashBytes;
        while (left > 0)
        {
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) break;
            sha.TransformBlock(buffer, 0, read, null, 0);
            left -= read;
        }
        sha.TransformFinalBlock([], 0, 0);
        if (!sha.Hash!.AsSpan().SequenceEqual(stored))
            throw new CorruptCheckpointException(path, "its checksum does not match its contents (truncated, damaged, or written by an older version)");
    }

    /// <summary>Verifies, then loads every tensor into <paramref name="into"/> in place; the key sets must match exactly.</summary>
    public static CheckpointHeader Load(string path, IEnumerable<(string Name, Tensor Tensor)> into)
    {
        if (!File.Exists(path))
            throw new UserError($"no checkpoint at {path}.", "run the experiment first (sdae run EXPERIMENT.yaml).");
        Verify(path);
        var targets = into.ToDictionary(t => t.Name, t => t.Tensor);
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        var header = ReadHeader(reader, path);
        int count = reader.ReadInt32();
        var names = new List<string>(count);
        for (int i = 0; i < count; i++) names.Add(reader.ReadString());
        var missing = targets.Keys.Except(names).ToList();
        var unexpected = names.Except(targets.Keys).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new UserError($"checkpoint {path} does not match the model: " +
                (missing.Count > 0 ? $"missing {Describe(missing)}" : "") +
                (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                (unexpected.Count > 0 ? $"unexpected {Describe(unexpected)}" : "") + ".",
                "evaluate with the experiment that wrote it, or start a new run.");

        using var _ = no_grad();
        foreach (var name in names)
        {
            try
            {
                targets[name].Load(reader);
            }
            catch (ArgumentException e)
            {
                throw new UserError($"checkpoint {path}: tensor '{name}' does not fit the model ({e.Message})", "evaluate with the experiment that wrote it.");
            }
        }
        return header;
    }

    /// <summary>
    /// Loads the latest checkpoint whose checksum holds: <paramref name="path"/>, else (with a warning
    /// naming what is wrong) <paramref name="previousPath"/>. Returns the header and the file used.
    /// </summary>
    public static (CheckpointHeader Header, string From) LoadLatest(string path, string previousPath, Func<IEnumerable<(string Name, Tensor Tensor)>> into, Action<string> warn)
    {
        var problems = new List<string>();
        foreach (var candidate in new[] { path, previousPath }.Where(File.Exists))
        {
            try
            {
                return (Load(candidate, into()), candidate);
            }
            catch (CorruptCheckpointException e)
            {
                problems.Add(e.Message);
                warn($"warning: checkpoint {e.Message}; it is not used");
            }
        }
        throw new UserError(problems.Count == 0 ? $"no checkpoint at {path}." : $"no usable checkpoint: {string.Join("; ", problems)}.",
            "delete the run folder's checkpoints/ to start the run over (metrics.jsonl is rewritten), or give the run another 'run:' id.");
    }

    /// <summary>The header alone (after verifying the file).</summary>
    public static CheckpointHeader ReadHeaderOf(string path)
    {
        Verify(path);
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        return ReadHeader(reader, path);
    }

    static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException();
            return JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString()) ?? throw new InvalidDataException();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or JsonException)
        {
            throw new CorruptCheckpointException(path, "not an SdAE checkpoint of this version");
        }
    }

    static string Describe(List<string> names) =>
        string.Join(", ", names.Take(8)) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");
}
