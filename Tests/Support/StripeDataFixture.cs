namespace SdAE.Tests.Support;

/// <summary>Tests that each get a fresh temporary folder holding generated stripe data (<see cref="TestData.WriteStripes"/>).</summary>
public abstract class StripeDataFixture(int trainCount, int testCount)
{
    protected TempFolder folder = null!;
    protected string dataRoot = null!;

    [SetUp]
    public void CreateData()
    {
        folder = new TempFolder();
        dataRoot = TestData.WriteStripes(Path.Combine(folder.Path, "data"), trainCount, testCount);
    }

    [TearDown] public void RemoveData() => folder.Dispose();
}
