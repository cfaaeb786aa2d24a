using SdAE.Host.Commands;
using System.Text.Json;
using SdAE.Abstractions.Targets;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Training.Interop;
using static TorchSharp.torch;

namespace SdAE.Host.Interop;

/// <summary>What `sdae export` writes, and where.</summary>
public sealed record ExportRequest(string RunDirectory, EvalEncoder Encoder, StateDictFormat Format, bool TimmNames, bool WithDecoder, string? Output);

/// <summary>
/// `sdae export`: a run's encoder (student or teacher) from its latest checkpoint as a safetensors
/// file or a PyTorch state_dict zip, with timm's ViT key names or the native ones, and a JSON sidecar
/// with what timm needs to build the model.
/// </summary>
public static class EncoderExport
{
    public static (string File, string Sidecar, int Tensors) Run(ExportRequest request, Action<string> info)
    {
        var folder = CheckpointEvaluation.RequireEvaluableRun(request.RunDirectory);
        var extension = request.Format == StateDictFormat.Safetensors ? ".safetensors" : ".pth";
        var file = Path.GetFullPath(request.Output ?? Path.Combine(folder.Path, $"encoder-{request.Encoder.ToString().ToLowerInvariant()}{extension}"));
        CheckDestination(file);
        using var loaded = ExperimentLoader.Load(folder.ConfigPath);
        var experiment = loaded.Experiment;
        bool isVit = experiment.Backbone!.Type == "vit";
        if (request.TimmNames && !isVit)
            throw new UserError($"backbone '{experiment.Backbone.Type}' is not the in-tree vit, so its keys have no timm names.", "export with --naming native.");
        // what the run recorded about its data, so the data need not be here; older run folders open the data for it
        var data = DataDescription.Read(folder);
        var context = data is null ? ExperimentCheck.ContextFor(loaded, CPU)
            : new Abstractions.Plugins.PluginContext { ImageSize = data.ImageSize, Channels = data.Channels, ClassCount = data.ClassCount, Seed = experiment.Seed, Device = CPU };
        using var model = PretrainingModel.Build(experiment, loaded.Catalog, context);
        var (header, from) = model.LoadWeights(folder, experiment.Pretrain, info);
        var encoder = request.Encoder == EvalEncoder.Teacher
            ? (model.Target as ITeacherProvider)?.Teacher ?? throw new UserError($"target '{experiment.Target!.Type}' has no teacher encoder.", "export --encoder student.")
            : model.Encoder;

        // timm's ViT has no mask token (BEiT's input); the native naming keeps everything
        var tensors = EncoderWeights.Export(encoder, request.TimmNames, request.TimmNames ? ["mask_token"] : null);
        if (request.WithDecoder)
        {
            if (model.Decoder is null) throw new UserError($"target '{experiment.Target!.Type}' trains no decoder.", "export without --decoder.");
            foreach (var (name, tensor) in model.Decoder.state_dict()) tensors[$"decoder.{name}"] = tensor;
        }
        AtomicFile.Write(file, temporary => StateDictFile.Save(temporary, tensors, request.Format));
        var sidecar = Path.ChangeExtension(file, ".json");
        var description = Describe(experiment, encoder, request, header, from, isVit);
        description["input"] = data is null ? null : new Dictionary<string, object>
        {
            ["image_size"] = data.ImageSize,
            ["channels"] = data.Channels,
            ["mean"] = data.Mean,
            ["std"] = data.Std,
            ["normalize"] = "(pixels / 255 - mean) / std, per channel",
        };
        AtomicFile.WriteAllText(sidecar, JsonSerializer.Serialize(description, new JsonSerializerOptions { WriteIndented = true }));
        return (file, sidecar, tensors.Count);
    }

    /// <summary>
    /// Before any work: the file and its sidecar go into a folder that exists and takes a file, and
    /// never into a run's checkpoints/ (overwriting a checkpoint would silently lose an epoch).
    /// </summary>
    static void CheckDestination(string file)
    {
        var directory = Path.GetDirectoryName(file)!;
        if (Path.GetFileName(directory) == "checkpoints" && Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.ckpt").Any())
            throw new UserError($"-o {file} is inside a run's checkpoints/ folder, which holds the checkpoints a run resumes from.", "write the export elsewhere, e.g. next to the run folder.");
        if (File.Exists(directory))
            throw new UserError($"-o {file}: {directory} is a file, not a folder.", "choose a path whose parent is a folder.");
        if (!Directory.Exists(directory))
            throw new UserError($"-o {file}: the folder {directory} does not exist.", "create it first, or choose an existing folder.");
        var probe = Path.Combine(directory, $".sdae-export-{Environment.ProcessId}.probe");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"-o {file}: cannot write in {directory} ({e.Message}).", "choose a folder you can write to.");
        }
    }

    /// <summary>timm's VisionTransformer arguments (embed_dim, depth, num_heads, ...) and where the weights came from.</summary>
    static Dictionary<string, object?> Describe(Experiment experiment, Abstractions.Models.EncoderModule encoder, ExportRequest request, CheckpointHeader header, string from, bool isVit)
    {
        var state = encoder.state_dict();
        var description = new Dictionary<string, object?>
        {
            ["architecture"] = isVit ? "vit" : experiment.Backbone!.Type,
            ["naming"] = request.TimmNames ? "timm" : "native",
            ["format"] = request.Format == StateDictFormat.Safetensors ? "safetensors" : "pytorch",
            ["img_size"] = encoder.ImageSize,
            ["patch_size"] = encoder.PatchSize,
            ["in_chans"] = encoder.Channels,
            ["embed_dim"] = encoder.Width,
            ["depth"] = encoder.Depth,
        };
        if (isVit)
        {
            dynamic options = experiment.Backbone!.Options;   // the plugin's own options type
            var (_, _, heads) = ((int, int, int))options.Resolve();
            description["num_heads"] = heads;
            description["mlp_ratio"] = state["blocks.0.mlp.fc1.weight"].shape[0] / (double)encoder.Width;
            description["qkv_bias"] = true;
            description["class_token"] = true;
            description["global_pool"] = "avg";
            description["fc_norm"] = false;
            description["norm_eps"] = 1e-6;
            double layerScale = options.LayerScale;
            description["init_values"] = layerScale > 0 ? layerScale : null;   // LayerScale: blocks.N.ls1.gamma / ls2.gamma
            description["pos_embed"] = "fixed 2-D sin-cos, stored with its cls slot; load it and freeze it, or let it train";
        }
        description["encoder"] = request.Encoder.ToString().ToLowerInvariant();
        description["decoder_included"] = request.WithDecoder;
        description["source"] = from;
        description["completed_epochs"] = header.CompletedEpochs;
        description["experiment"] = experiment.Name;
        return description;
    }
}
