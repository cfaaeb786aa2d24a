using SdAE.Host.Plugins;
using SdAE.Tests.Support;
using SdAE.Training.Interop;

namespace SdAE.Tests;

/// <summary>Failures a hostile user finds: each ends in one line naming what is wrong (exit 2), and loses nothing written.</summary>
public class ReliabilityTests() : StripeDataFixture(trainCount: 64, testCount: 20)
{
    public sealed class ThrowingModule : SdAE.Abstractions.Plugins.IPluginModule
    {
        public void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
            throw new InvalidOperationException("the registry is not ready");
    }

    [Test]
    public void AModuleWhoseRegisterThrowsIsAPluginErrorNamingTheAssemblyAndTheCause()
    {
        var e = Assert.Throws<PluginLoadException>(() =>
            PluginCatalog.RegisterModule(typeof(ThrowingModule), "/plugins/Broken.dll", new Microsoft.Extensions.DependencyInjection.ServiceCollection()))!;
        Assert.That(e.Message, Does.Contain("/plugins/Broken.dll").And.Contain(nameof(ThrowingModule)).And.Contain("the registry is not ready"));
    }

    [TestCase("junk.pth", "text")]
    [TestCase("junk.safetensors", "bytes")]
    [TestCase("short.safetensors", "short")]
    public void AFileThatIsNeitherFormatIsNamedWithTheFormatsAccepted(string name, string content)
    {
        var path = Path.Combine(folder.Path, name);
        switch (content)
        {
            case "text": File.WriteAllText(path, "not weights at all"); break;
            case "bytes": File.WriteAllBytes(path, [0x13, 0x9f, 0x44, 0x01, 0xee, 0x72, 0x05, 0xc1]); break;
            default: File.WriteAllBytes(path, [1, 2, 3]); break;
        }
        var e = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("safetensors").And.Contain("PyTorch"));
    }

    [Test]
    public void ExportNeedsOnlyTheRunFolderAndItsSidecarSaysHowToNormaliseInputs()
    {
        var yaml = folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64));
        Assert.That(SdaeCommand.InProcess("run", yaml).ExitCode, Is.EqualTo(0));
        var data = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "runs", "tiny", "default", "data.json"))).RootElement;
        Directory.Delete(dataRoot, recursive: true);   // as if exported on another machine, or from another folder

        var output = Path.Combine(folder.Path, "enc.safetensors");
        var (exitCode, errors, _) = SdaeCommand.InProcess("export", Path.Combine(folder.Path, "runs", "tiny", "default"), "-o", output);
        Assert.That(exitCode, Is.EqualTo(0), errors);
        var input = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json"))).RootElement.GetProperty("input");
        Assert.That((input.GetProperty("image_size").GetInt32(), input.GetProperty("channels").GetInt32()), Is.EqualTo((28, 1)));
        Assert.That(input.GetProperty("mean")[0].GetDouble(), Is.EqualTo(data.GetProperty("mean")[0].GetDouble()));
        Assert.That(input.GetProperty("std")[0].GetDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void ExportRefusesUnwritablePlacesAndTheRunsOwnCheckpointsBeforeWritingAnything()
    {
        var yaml = folder.Write("tiny.yaml", TinyExperiment.Yaml(dataRoot, Path.Combine(folder.Path, "runs"), epochs: 1, trainLimit: 64));
        Assert.That(SdaeCommand.InProcess("run", yaml).ExitCode, Is.EqualTo(0));
        var run = Path.Combine(folder.Path, "runs", "tiny", "default");
        var checkpoint = Path.Combine(run, "checkpoints", "last.ckpt");
        var before = File.ReadAllBytes(checkpoint);
        File.WriteAllText(Path.Combine(folder.Path, "a-file"), "");
        foreach (var output in new[] { "/proc/x/enc.safetensors", Path.Combine(folder.Path, "a-file", "enc.safetensors"), checkpoint,
                     Path.Combine(run, "checkpoints", "encoder.safetensors"), Path.Combine(folder.Path, "missing", "enc.safetensors") })
        {
            var (exitCode, errors, stdout) = SdaeCommand.InProcess("export", run, "-o", output);
            Assert.That(exitCode, Is.EqualTo(2), output + errors + stdout);
            Assert.That(errors.Trim().Split('\n'), Has.Length.InRange(1, 2), errors);
            Assert.That(errors, Does.Contain(output).And.Not.Contain("   at "), output);
        }
        Assert.That(File.ReadAllBytes(checkpoint), Is.EqualTo(before), "the run's checkpoint is untouched");
        Assert.That(SdaeCommand.InProcess("export", run, "-o", Path.Combine(folder.Path, "enc.safetensors")).ExitCode, Is.EqualTo(0), "a writable place works");
    }
}
