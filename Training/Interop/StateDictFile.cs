using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SdAE.Training.Interop;

public enum StateDictFormat
{
    /// <summary>A safetensors file: an 8-byte header length, a JSON header, raw little-endian tensor bytes.</summary>
    Safetensors,
    /// <summary>A PyTorch `state_dict` zip, as torch.save writes it and torch.load reads it.</summary>
    Pytorch,
}

/// <summary>Reads and writes state dicts in PyTorch's formats through TorchSharp.PyBridge.</summary>
public static class StateDictFile
{
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, StateDictFormat format)
    {
        var contiguous = tensors.ToDictionary(t => t.Key, t => t.Value.detach().contiguous().cpu());
        if (format == StateDictFormat.Safetensors) Safetensors.SaveStateDict(path, contiguous);
        else PyTorchPickler.PickleStateDict(path, new Hashtable(contiguous));
    }

    /// <summary>
    /// The tensors of a state dict file. A PyTorch file may wrap its state dict the way training
    /// checkpoints do (`{"model": ...}`, `{"state_dict": ...}`); the wrapper is removed.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no such file: {path}", path);
        if (!IsZip(path))
        {
            if (!LooksLikeSafetensors(path))
                throw new InvalidDataException($"{path} is neither a PyTorch state dict (a zip, as torch.save writes) nor a safetensors file " +
                    "(an 8-byte header length, then a JSON header); save model.state_dict() with torch.save or safetensors.");
            try { return Safetensors.LoadStateDict(path); }
            catch (Exception e) when (e is not IOException)
            {
                throw new InvalidDataException($"{path} has a safetensors header but cannot be read as one ({e.Message}).", e);
            }
        }
        Hashtable table;
        try { table = PyTorchUnpickler.UnpickleStateDict(path); }
        catch (Exception e) when (e is not IOException)
        {
            throw new InvalidDataException($"{path} is a zip but not a state dict PyTorch can hand over without Python classes ({e.Message}); save model.state_dict() (torch.save) or a safetensors file.", e);
        }
        foreach (var wrapper in new[] { "model", "state_dict", "module" })
            if (table[wrapper] is Hashtable inner) table = inner;
        var tensors = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
            if (entry.Value is Tensor tensor) tensors[(string)entry.Key] = tensor;
        return tensors;
    }

    /// <summary>PyTorch's format is a zip archive ("PK").</summary>
    static bool IsZip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 'P' && file.ReadByte() == 'K';
    }

    /// <summary>A safetensors file starts with its header's length (little-endian, within the file) and the header's '{'.</summary>
    static bool LooksLikeSafetensors(string path)
    {
        using var file = File.OpenRead(path);
        var start = new byte[9];
        if (file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) < start.Length) return false;
        ulong headerLength = BitConverter.ToUInt64(start, 0);
        return headerLength >= 2 && headerLength <= (ulong)file.Length - 8 && start[8] == (byte)'{';
    }
}
