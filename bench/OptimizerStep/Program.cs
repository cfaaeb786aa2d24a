// Times one optimizer update over the parameters of the default experiment's student (micro ViT
// encoder + decoder, 309,696 parameters) for the per-tensor AdamW, TorchSharp's optim.AdamW and
// the flat-buffer AdamW, interleaved so the machine's noise hits all three alike; then checks how
// far the three drift apart after the same updates.
using System.Diagnostics;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Plugins.Backbones;
using SdAE.Training;
using TorchSharp.Modules;
using AdamW = SdAE.Training.AdamW;
using static TorchSharp.torch;

int steps = args.Length > 0 ? int.Parse(args[0]) : 200;
var context = new PluginContext { ImageSize = 28, Channels = 1 };

var modules = new List<TorchSharp.torch.nn.Module>();   // kept alive: a collected module disposes its parameters

List<(string Name, Parameter Parameter)> Student()
{
    manual_seed(0);
    var encoder = new VisionTransformer(new ViTOptions { Patch = 4 }, context);
    var decoder = new ViTDecoderBuilder(new ViTDecoderOptions { Width = 64, Depth = 2, Heads = 4 }).Build(new DecoderShape(encoder.Width, encoder.Grid, 64));
    modules.AddRange([encoder, decoder]);
    return encoder.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
        .Concat(decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter))).ToList();
}

var (ours, torchs, flats) = (Student(), Student(), Student());
Console.WriteLine($"{ours.Sum(p => p.Parameter.numel()):N0} parameters in {ours.Count} tensors, {steps} steps each, {get_num_threads()} threads");
var perTensor = new AdamW(AdamW.DecayGroups(ours, 0.05), 0.9, 0.95);
var flat = new FlatAdamW(AdamW.DecayGroups(flats, 0.05), 0.9, 0.95, layout: flats.Select(p => p.Parameter));
var torchGroups = AdamW.DecayGroups(torchs, 0.05);
var reference = optim.AdamW(torchGroups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters.Select(p => p.Parameter),
    new TorchSharp.Modules.AdamW.Options { weight_decay = g.WeightDecay })), lr: 1e-4, beta1: 0.9, beta2: 0.95);

void Gradients(List<(string Name, Parameter Parameter)> parameters, int step)
{
    using var generator = new Generator((ulong)step);
    using var _ = no_grad();
    foreach (var (_, p) in parameters)
    {
        using var g = randn(p.shape, generator: generator);
        if (p.grad is null) p.grad = g.clone(); else p.grad.copy_(g);
    }
}

var times = new Dictionary<string, List<double>> { ["per-tensor AdamW (SdAE.Training)"] = [], ["optim.AdamW (TorchSharp)"] = [], ["FlatAdamW (SdAE.Training)"] = [] };
for (int step = 0; step < steps; step++)
{
    double lr = 1e-4 * (1 + step % 7) / 7;
    Gradients(ours, step); Gradients(torchs, step); Gradients(flats, step);
    var clock = Stopwatch.StartNew();
    perTensor.Step(lr);
    times["per-tensor AdamW (SdAE.Training)"].Add(clock.Elapsed.TotalMilliseconds);
    clock.Restart();
    foreach (var group in reference.ParamGroups) group.LearningRate = lr;
    reference.step();
    times["optim.AdamW (TorchSharp)"].Add(clock.Elapsed.TotalMilliseconds);
    clock.Restart();
    flat.Step(lr);
    times["FlatAdamW (SdAE.Training)"].Add(clock.Elapsed.TotalMilliseconds);
}

double Median(List<double> values) { var sorted = values.Skip(5).Order().ToList(); return sorted[sorted.Count / 2]; }
double baseline = Median(times["optim.AdamW (TorchSharp)"]);
foreach (var (name, values) in times)
    Console.WriteLine($"{name,-36} median {Median(values):F3} ms/step   ratio to optim.AdamW {Median(values) / baseline:F2}");

float MaxDifference(List<(string, Parameter P)> a, List<(string, Parameter P)> b) =>
    a.Zip(b).Max(pair => (pair.First.P - pair.Second.P).abs().max().item<float>());
Console.WriteLine($"max |per-tensor - optim.AdamW| after {steps} steps: {MaxDifference(ours, torchs):E2}; bit-identical: {MaxDifference(ours, torchs) == 0}");
Console.WriteLine($"max |per-tensor - FlatAdamW|  after {steps} steps: {MaxDifference(ours, flats):E2}");
GC.KeepAlive(modules);
