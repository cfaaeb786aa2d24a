using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class FlatLayoutTests
{
    static bool Same(Tensor a, Tensor b) => a.allclose(b, rtol: 0, atol: 0);

    [Test]
    public void FlattenKeepsValuesAndSpanOfCoversTheBufferInOrder()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4));
        var tensors = model.parameters().Select(p => (Tensor)p).ToList();
        var before = tensors.Select(t => t.detach().clone()).ToList();
        Tensor flat;
        using (no_grad()) flat = FlatLayout.Flatten(tensors);

        for (int i = 0; i < tensors.Count; i++) Assert.That(Same(tensors[i], before[i]), Is.True, $"tensor {i} keeps its values");
        var span = FlatLayout.SpanOf(tensors);
        Assert.That(span, Is.Not.Null);
        Assert.That(Same(span!, cat(before.Select(t => t.reshape(-1)).ToList())), Is.True, "the span lists every value, in order");
        using (no_grad()) span!.add_(1);
        Assert.That(Same(tensors[0], before[0] + 1), Is.True, "the span is a view of the tensors themselves");
        Assert.That(flat.numel(), Is.EqualTo(tensors.Sum(t => t.numel())));
    }

    [Test]
    public void SpanOfIsNullUnlessTheTensorsLieBackToBackInOrder()
    {
        using var scope = NewDisposeScope();
        var separate = new[] { randn(3), randn(2, 2) };
        Assert.That(FlatLayout.SpanOf(separate), Is.Null, "separate allocations");

        var buffer = arange(10, dtype: ScalarType.Float32);
        Tensor Slice(long start, long count) => buffer.narrow(0, start, count);
        Assert.That(FlatLayout.SpanOf([Slice(0, 3), Slice(3, 4)]), Is.Not.Null, "adjacent views");
        Assert.That(FlatLayout.SpanOf([Slice(3, 4), Slice(0, 3)]), Is.Null, "out of order");
        Assert.That(FlatLayout.SpanOf([Slice(0, 3), Slice(4, 4)]), Is.Null, "a gap between them");
        Assert.That(FlatLayout.SpanOf([buffer.view(2, 5).t()]), Is.Null, "not contiguous");
    }

    [Test]
    public void FlattenRefusesANonFloat32TensorBeforeMovingAnything()
    {
        using var scope = NewDisposeScope();
        var (first, second) = (randn(3), randn(4));
        var e = Assert.Throws<ArgumentException>(() => FlatLayout.Flatten([first, second, randn(2, dtype: ScalarType.Float64)]));
        Assert.That(e!.Message, Does.Contain("float32"));
        Assert.That(FlatLayout.SpanOf([first, second]), Is.Null, "the float32 tensors were not laid out back to back");
    }
}
