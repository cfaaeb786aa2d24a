using System.Text.Json;

namespace SdAE.Host.Runs;

/// <summary>
/// data.json in a run folder: what the model was trained on, as the input side needs it (image side,
/// channels, class count, the normalisation's mean and std). Written when a run starts, so `sdae
/// export` needs only the run folder, and exported beside the weights for PyTorch users.
/// </summary>
public sealed record DataDescription(int ImageSize, int Channels, int ClassCount, float[] Mean, float[] Std)
{
    public const string FileName = "data.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public void Write(RunFolder folder) => AtomicFile.WriteAllText(folder.File(FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>The run's description, or null for a folder written before runs kept one.</summary>
    public static DataDescription? Read(RunFolder folder)
    {
        var path = folder.File(FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<DataDescription>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new UserError($"{path} is damaged ({e.Message}).", $"delete it: sdae export then reads the data itself."); }
    }
}
