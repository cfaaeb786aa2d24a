using System.Text.Json;

namespace SdAE.Tests.Support;

/// <summary>
/// The PyTorch cross-check scripts in Tests/PyTorch, run with Debian's python3-torch
/// (scripts/install-pytorch.sh); each prints one line of JSON last.
/// </summary>
public static class PyTorchScripts
{
    const string Python = "/usr/bin/python3";

    static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "PyTorch");

    public static JsonElement Run(string script, params string[] arguments)
    {
        if (!File.Exists(Python)) Assert.Fail($"{Python} is missing: run scripts/install-pytorch.sh (apt-get install python3-torch) for the PyTorch cross-check.");
        var result = ChildProcess.Run(Python, [Path.Combine(Folder, script), .. arguments]);
        if (result.Errors.Contains("No module named 'torch'"))
            Assert.Fail("PyTorch is not installed for /usr/bin/python3: run scripts/install-pytorch.sh (apt-get install python3-torch python3-yaml).");
        Assert.That(result.ExitCode, Is.EqualTo(0), $"{script} {string.Join(' ', arguments)}:\n{result.All}");
        return JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]).RootElement;
    }

    /// <summary>
    /// A one-step cross-check: <paramref name="tensors"/> written as STEP.safetensors and
    /// <paramref name="shape"/> as STEP.safetensors.json in a temporary folder, <paramref name="script"/>
    /// run on them (its JSON line is printed to the test log and returned), the folder removed.
    /// </summary>
    public static JsonElement CheckStep(string script, IReadOnlyDictionary<string, TorchSharp.torch.Tensor> tensors, object shape)
    {
        var directory = Directory.CreateTempSubdirectory(Path.GetFileNameWithoutExtension(script) + "-").FullName;
        try
        {
            var file = Path.Combine(directory, "step.safetensors");
            SdAE.Training.Interop.StateDictFile.Save(file, tensors.ToDictionary(), SdAE.Training.Interop.StateDictFormat.Safetensors);
            File.WriteAllText(file + ".json", JsonSerializer.Serialize(shape));
            var check = Run(script, file);
            TestContext.Out.WriteLine(check.GetRawText());
            return check;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
