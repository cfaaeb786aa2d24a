using System.Runtime.InteropServices;

namespace SdAE.Host.Bench;

/// <summary>
/// GPU memory in use, read from the NVIDIA driver's management library (NVML): TorchSharp 0.107 does
/// not expose PyTorch's allocator statistics. The figure is device-wide and includes what the caching
/// allocator keeps reserved, which after a run is about its peak.
/// </summary>
public static class GpuMemory
{
    [StructLayout(LayoutKind.Sequential)]
    struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    const string Nvml = "libnvidia-ml.so.1";

    [DllImport(Nvml, EntryPoint = "nvmlInit_v2")]
    static extern int Init();

    [DllImport(Nvml, EntryPoint = "nvmlShutdown")]
    static extern int Shutdown();

    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    static extern int DeviceByIndex(uint index, out IntPtr device);

    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetMemoryInfo")]
    static extern int MemoryInfo(IntPtr device, out NvmlMemory memory);

    /// <summary>MiB in use on GPU <paramref name="index"/>, or null where there is no NVIDIA driver.</summary>
    public static double? UsedMiB(int index)
    {
        try
        {
            if (Init() != 0) return null;
            try
            {
                if (DeviceByIndex((uint)Math.Max(0, index), out var device) != 0 || MemoryInfo(device, out var memory) != 0) return null;
                return memory.Used / (1024.0 * 1024.0);
            }
            finally
            {
                Shutdown();
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
