using SdAE.Abstractions.Data;
using SdAE.Plugins.Datasets;
using SdAE.Testing;
using SdAE.Tests.Support;

namespace SdAE.Tests.Conformance;

// The in-tree dataset plugins through the kit's dataset fixture, each on data written by the test.

public class MnistDatasetContract : DatasetConformance
{
    TempFolder folder = null!;
    [OneTimeSetUp] public void WriteData() { folder = new TempFolder(); TestData.WriteStripes(folder.Path, 20, 10); }
    [OneTimeTearDown] public void RemoveData() => folder.Dispose();
    protected override IDatasetSource CreateDataset() => new MnistDataset(new IdxOptions { Root = folder.Path });
}

public class CifarDatasetContract : DatasetConformance
{
    TempFolder folder = null!;
    [OneTimeSetUp]
    public void WriteData()
    {
        folder = new TempFolder();
        var record = new byte[2 + 3072];
        new Random(1).NextBytes(record);
        record[0] = 3;
        record[1] = 42;
        File.WriteAllBytes(folder.File("train.bin"), [.. record, .. record]);
        File.WriteAllBytes(folder.File("test.bin"), record);
    }
    [OneTimeTearDown] public void RemoveData() => folder.Dispose();
    protected override IDatasetSource CreateDataset() => new CifarDataset(new CifarOptions { Root = folder.Path });
}

public class ImageFolderDatasetContract : DatasetConformance
{
    TempFolder folder = null!;
    [OneTimeSetUp] public void WriteData() { folder = new TempFolder(); ImageFiles.WriteLabelledFolder(folder.Path, ["a", "b"], perClass: 3, side: 12); }
    [OneTimeTearDown] public void RemoveData() => folder.Dispose();
    protected override int ImageSize => 8;
    protected override IDatasetSource CreateDataset() => new ImageFolderDataset(new ImageFolderOptions { Root = folder.Path });
}
