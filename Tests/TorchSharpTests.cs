using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Tests;

public class TorchSharpTests
{
    [Test]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 7, 10, 15, 22 }));
    }
}
