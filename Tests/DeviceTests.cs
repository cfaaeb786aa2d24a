using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using TorchSharp;

namespace SdAE.Tests;

public class DeviceTests
{
    [Test]
    public void CpuAndAutoResolveAndAutoSaysWhatItChose()
    {
        Assert.That(DeviceSelector.Resolve("cpu").type, Is.EqualTo(DeviceType.CPU));
        var messages = new List<string>();
        var chosen = DeviceSelector.Resolve("auto", messages.Add);
        Assert.That(messages.Single(), Does.StartWith("device: auto chose"));
        Assert.That(chosen.type, Is.EqualTo(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU));
    }

    [TestCase("cuda")]
    [TestCase("cuda:1")]
    public void CudaWithoutAGpuIsAClearError(string device)
    {
        if (torch.cuda.is_available()) Assert.Ignore("this machine has a CUDA device");
        var e = Assert.Throws<UserError>(() => DeviceSelector.Resolve(device));
        Assert.That(e!.Message, Does.Contain("no CUDA device").And.Contain("libtorch_cuda.so"));
        Assert.That(e.Fix, Does.Contain("device: auto or cpu"));
    }

    [Test]
    public void GpuMemoryIsNotMeasuredWithoutAnNvidiaDriver()
    {
        if (File.Exists("/proc/driver/nvidia/version")) Assert.Ignore("this machine has an NVIDIA driver");
        Assert.That(SdAE.Host.Bench.GpuMemory.UsedMiB(0), Is.Null);
    }
}
