using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Runs;

/// <summary>Where a run stands when a checkpoint is written.</summary>
public sealed record CheckpointHeader(int CompletedEpochs, long Step, long OptimizerSteps, string Experiment, double TrainSeconds);

/// <summary>
/// One file holding a JSON header, the tensor names, then the tensors (model, teacher, optimizer state). Written to a
/// temporary file, flushed to disk, then renamed over the old one, so a crash never leaves a torn
/// checkpoint. Loading checks that the names match exactly and says which differ.
/// </summary>
public static class Checkpoint
{
    const string Magic = "SDAE-CKPT-1";

    public static void Save(string path, CheckpointHeader header, IEnumerable<(string Name, Tensor Tensor)> tensors) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            var items = tensors.ToList();
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(header));
            writer.Write(items.Count);
            foreach (var (name, _) in items) writer.Write(name);
            foreach (var (_, tensor) in items) tensor.Save(writer);
        }, flushToDisk: true);

    /// <summary>Loads every tensor into <paramref name="into"/> in place; the key sets must match exactly.</summary>
    public static CheckpointHeader Load(string path, IEnumerable<(string Name, Tensor Tensor)> into)
    {
        var targets = into.ToDictionary(t => t.Name, t => t.Tensor);
        using var reader = Open(path);
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

    static BinaryReader Open(string path)
    {
        if (!File.Exists(path))
            throw new UserError($"no checkpoint at {path}.", "run the experiment first (sdae run EXPERIMENT.yaml).");
        return new BinaryReader(File.OpenRead(path), Encoding.UTF8);
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
            throw new UserError($"{path} is not an SdAE checkpoint or is damaged.", "delete it to start the run over.");
        }
    }

    static string Describe(List<string> names) =>
        string.Join(", ", names.Take(8)) + (names.Count > 8 ? $" and {names.Count - 8} more" : "");
}
