using SdAE.Host.Config;

namespace SdAE.Host.Bench;

/// <summary>One batch size's memory: the process's peak resident memory while it trained and the GPU's.</summary>
public sealed record MemoryPoint(int Batch, double PeakRssMiB, double? GpuMemoryMiB, double MsPerStep, string? Failure = null);

/// <summary>The resident memory of the process with the runtime and libtorch loaded, before any model; and each size's figures.</summary>
public sealed record MemoryProfile(double BaselineRssMiB, IReadOnlyList<MemoryPoint> Points);

/// <summary>
/// The memory an experiment's training step needs per batch size, smallest first, with the
/// experiment's optimizer: model, optimizer state and activations are built and stepped a few
/// times per size. Host memory is the resident set's high-water mark, reset before each size
/// (Linux's /proc/self/clear_refs); GPU memory is NVML's device-wide figure after the steps, which
/// includes what PyTorch's caching allocator keeps, so it grows with the largest size so far: hence
/// smallest first. A size that runs out of memory ends the list with that note.
/// </summary>
public static class MemoryBenchmark
{
    public static MemoryProfile Run(LoadedExperiment loaded, IEnumerable<int> batches, int steps, string? device, Action<string> info)
    {
        using (TorchSharp.torch.zeros(1)) { }   // loads libtorch, which is part of every row's figure but not of any batch size's
        double baseline = CurrentRssMiB();
        var points = new List<MemoryPoint>();
        foreach (int batch in batches.Distinct().Order())
        {
            if (!ResetPeakRss()) info("the resident-set peak cannot be reset here: each row's peak is the process's since it started");
            try
            {
                var timing = StepBenchmark.Run(loaded, steps, batch, device, info, [loaded.Experiment.Pretrain.Optimizer]).Single();
                points.Add(new MemoryPoint(batch, PeakRssMiB(), timing.GpuMemoryMiB, timing.MedianMs));
            }
            catch (Exception e) when (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
            {
                points.Add(new MemoryPoint(batch, PeakRssMiB(), null, double.NaN, "out of memory"));
                break;
            }
        }
        return new MemoryProfile(baseline, points);
    }

    /// <summary>Resets VmHWM to the current resident set (writing 5 to clear_refs, Linux 4.0 and later).</summary>
    static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static double PeakRssMiB() => StatusKiB("VmHWM:") is { } kib ? kib / 1024.0 : StepBenchmark.PeakRssMiB();

    static double CurrentRssMiB() => StatusKiB("VmRSS:") is { } kib ? kib / 1024.0 : System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);

    static long? StatusKiB(string field)
    {
        if (!File.Exists("/proc/self/status")) return null;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[field.Length..].Trim().Split(' ')[0]);
    }
}
