using SdAE.Host.Config;
using SdAE.Training.Distributed;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>Turns the experiment's `device:` (auto | cpu | cuda | cuda:N) into a torch device.</summary>
public static class DeviceSelector
{
    public static torch.Device Resolve(string device, Action<string>? announce = null)
    {
        if (device == "auto")
        {
            var chosen = torch.cuda.is_available() ? RankGpu() : torch.CPU;
            announce?.Invoke($"device: auto chose {chosen.type.ToString().ToLowerInvariant()}" +
                (chosen.type == DeviceType.CUDA ? "" : " (no CUDA device visible to libtorch)"));
            return chosen;
        }
        if (device == "cpu") return torch.CPU;

        if (!torch.cuda.is_available())
            throw new UserError($"device '{device}' was asked for, but libtorch sees no CUDA device (the loaded libtorch is CPU-only, or no GPU/driver is present; " +
                "looked for libtorch_cuda.so beside libtorch.so, in the TorchSharp-cuda package or on LD_LIBRARY_PATH).",
                "use device: auto or cpu, or run a CUDA build (see docs on backends).");
        if (device == "cuda")
        {
            var gpu = RankGpu();
            announce?.Invoke($"device: cuda:{gpu.index}");
            return gpu;
        }
        int index = int.Parse(device[5..]);
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new UserError($"device '{device}' does not exist: {count} CUDA device(s) visible.", $"use cuda:0 to cuda:{count - 1}.");
        announce?.Invoke($"device: {device}");
        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>GPU 0 for a single process; with several ranks, each rank on a machine takes its own (local rank modulo the GPUs there).</summary>
    static torch.Device RankGpu() =>
        torch.device(DeviceType.CUDA, LaunchEnvironment.Ranks is null ? 0 : (LaunchEnvironment.LocalRank ?? 0) % torch.cuda.device_count());
}
