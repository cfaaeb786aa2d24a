using SdAE.Abstractions.Models;
using static TorchSharp.torch;

namespace SdAE.Training.Interop;

/// <summary>A weights file that cannot start the encoder: missing, unreadable, or not fitting (which keys, which shapes).</summary>
public sealed class WeightsFileException(string message) : Exception(message);

/// <summary>
/// An encoder's weights to and from PyTorch's files: export with timm's or the native key names;
/// import a timm/MAE/SdAE state dict or safetensors file with key mapping, a report of missing and
/// unexpected keys, shape checks naming the key, and 2-D interpolation of the position embedding
/// when the file's grid differs from the encoder's (bicubic, cls slot kept, as MAE's fine-tuning does).
/// </summary>
public static class EncoderWeights
{
    /// <summary>The encoder's state dict under timm's names (in-tree ViT) or its own.</summary>
    public static Dictionary<string, Tensor> Export(EncoderModule encoder, bool timmNames, IEnumerable<string>? drop = null)
    {
        var dropped = new HashSet<string>(drop ?? []);
        return encoder.state_dict().Where(p => !dropped.Contains(p.Key))
            .ToDictionary(p => timmNames ? TimmVitNaming.ToTimm(p.Key) : p.Key, p => p.Value);
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="encoder"/> in place; returns a one-line report.</summary>
    public static string Import(EncoderModule encoder, string path, bool strict)
    {
        if (!File.Exists(path)) throw new WeightsFileException($"no weights file at {path}.");
        Dictionary<string, Tensor> file;
        try { file = StateDictFile.Load(path); }
        catch (InvalidDataException e) { throw new WeightsFileException(e.Message); }
        try
        {
            var target = encoder.state_dict();
            var source = new Dictionary<string, Tensor>();
            var ignored = new List<string>();
            foreach (var (key, tensor) in file)
            {
                var name = TimmVitNaming.ToNative(key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key);
                if (!target.ContainsKey(name) && IsNotEncoder(name)) ignored.Add(key);
                else source[name] = tensor;
            }
            var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
            var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
            if (strict && (missing.Count > 0 || unexpected.Count > 0))
                throw new WeightsFileException($"{path} does not fit the encoder: " +
                    string.Join("; ", new[] { Describe("missing", missing), Describe("unexpected", unexpected) }.Where(s => s.Length > 0)) +
                    ". Set init_strict: false to load what fits.");
            int interpolated = 0;
            using var scope = NewDisposeScope();
            using (no_grad())
                foreach (var (name, destination) in target)   // the encoder's order: the first mismatch named is the same every time
                {
                    if (!source.TryGetValue(name, out var value)) continue;
                    if (name == "pos_embed" && !value.shape.SequenceEqual(destination.shape) && value.dim() == 3 && value.shape[2] == destination.shape[2])
                    {
                        value = ResizePositions(value, destination.shape[1]);
                        interpolated++;
                    }
                    if (!value.shape.SequenceEqual(destination.shape))
                        throw new WeightsFileException($"{path}: '{name}' is [{string.Join(", ", value.shape)}] in the file but [{string.Join(", ", destination.shape)}] in the encoder.");
                    destination.copy_(value.to(destination.dtype));
                }
            return $"init_from {path}: {source.Count - unexpected.Count} tensors loaded" +
                (interpolated > 0 ? ", position embedding interpolated to the encoder's grid" : "") +
                (ignored.Count > 0 ? $"; ignored {ignored.Count} non-encoder keys ({string.Join(", ", ignored.Take(3))}{(ignored.Count > 3 ? ", ..." : "")})" : "") +
                (missing.Count > 0 ? $"; {Describe("left as initialised", missing)}" : "") +
                (unexpected.Count > 0 ? $"; {Describe("not used", unexpected)}" : "");
        }
        finally
        {
            foreach (var tensor in file.Values) tensor.Dispose();
        }
    }

    /// <summary>Keys of a pre-training checkpoint that are not the encoder's: MAE's decoder and its mask token, a head.</summary>
    static bool IsNotEncoder(string name) =>
        name.StartsWith("decoder", StringComparison.Ordinal) || name == "mask_token" || name.StartsWith("head.", StringComparison.Ordinal) || name.StartsWith("fc_norm.", StringComparison.Ordinal);

    /// <summary>[1, 1+S*S, D] to [1, tokens, D]: the grid part resized bicubically in 2-D, the cls slot kept.</summary>
    static Tensor ResizePositions(Tensor positions, long tokens)
    {
        long from = (long)Math.Round(Math.Sqrt(positions.shape[1] - 1)), to = (long)Math.Round(Math.Sqrt(tokens - 1));
        if (from * from != positions.shape[1] - 1 || to * to != tokens - 1)
            throw new WeightsFileException($"pos_embed: cannot map {positions.shape[1]} positions onto {tokens} (not a square grid plus a cls slot).");
        long width = positions.shape[2];
        var grid = positions.narrow(1, 1, from * from).reshape(1, from, from, width).permute(0, 3, 1, 2).to_type(ScalarType.Float32);
        var resized = nn.functional.interpolate(grid, [to, to], mode: InterpolationMode.Bicubic, align_corners: false);
        return cat([positions.narrow(1, 0, 1).to_type(ScalarType.Float32), resized.permute(0, 2, 3, 1).reshape(1, to * to, width)], 1);
    }

    static string Describe(string what, List<string> keys) =>
        keys.Count == 0 ? "" : $"{what} {string.Join(", ", keys.Take(6))}{(keys.Count > 6 ? $" and {keys.Count - 6} more" : "")}";
}
