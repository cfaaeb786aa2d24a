using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;

namespace SdAE.Plugins.Datasets;

public sealed class DatasetsModule : IPluginModule
{
    public void Register(IServiceCollection services)
    {
        services.AddPlugin<IDatasetSource, FashionMnistDataset, IdxOptions>(PluginKind.Dataset, "fashion_mnist",
            "Fashion-MNIST: 70,000 28x28 grayscale clothing images, 10 classes (IDX files; scripts/fetch-data.sh).");
        services.AddPlugin<IDatasetSource, MnistDataset, IdxOptions>(PluginKind.Dataset, "mnist",
            "MNIST: 70,000 28x28 grayscale digits, 10 classes (IDX files; scripts/fetch-data.sh).");
        services.AddPlugin<IDatasetSource, CifarDataset, CifarOptions>(PluginKind.Dataset, "cifar",
            "CIFAR-10 / CIFAR-100 binary files: 60,000 32x32 RGB images, 10 or 100 (20 coarse) classes.");
        services.AddPlugin<IDatasetSource, ImageFolderDataset, ImageFolderOptions>(PluginKind.Dataset, "image_folder",
            "Your images: class sub-folders, a flat unlabelled folder, or ImageNet's train/val layout; PNG, JPEG, BMP, WebP of any size.");
    }
}
