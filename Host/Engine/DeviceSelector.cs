using SdAE.Host.Config;
using TorchSharp;

namespace SdAE.Host.Engine;

/// <summary>Turns the experiment's `device:` (auto | cpu | cuda | cuda:N) into a torch device.</summary>
public static class DeviceSelector
{
    public static torch.Device Resolve(string device, Action<string>? announce = null)
    {
        if (device == "auto")
        {
            var chosen = torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            announce?.Invoke($"device: auto chose {chosen.type.ToString().ToLowerInvariant()}" +
                (chosen.type == DeviceType.CUDA ? "" : " (no CUDA device visible to libtorch)"));
            return chosen;
        }
        if (device == "cpu") return torch.CPU;

        if (!torch.cuda.is_available())
            throw new UserError($"device '{device}' was asked for, but libtorch sees no CUDA device (the loaded libtorch is CPU-only, or no GPU/driver is present; " +
                "looked for libtorch_cuda.so beside libtorch.so, in the TorchSharp-cuda package or on LD_LIBRARY_PATH).",
                "use device: auto or cpu, or run a CUDA build (see docs on backends).");
        int index = device.Length > 5 ? int.Parse(device[5..]) : 0;
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new UserError($"device '{device}' does not exist: {count} CUDA device(s) visible.", $"use cuda:0 to cuda:{count - 1}.");
        announce?.Invoke($"device: {device}");
        return torch.device(DeviceType.CUDA, index);
    }
}
