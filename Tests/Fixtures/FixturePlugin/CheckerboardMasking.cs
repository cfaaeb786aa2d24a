using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Fixtures.FixturePlugin;

public sealed class CheckerboardOptions
{
    [Range(0, 1)]
    public int Phase { get; set; }
}

/// <summary>Masks every other patch of the grid, like the dark squares of a checkerboard.</summary>
public sealed class CheckerboardMasking(CheckerboardOptions options) : IMaskingStrategy
{
    public bool ProducesIds => false;

    public MaskPlan Sample(int batch, GridSize grid, Generator generator)
    {
        var cells = arange(grid.Count).view(grid.Rows, grid.Columns);
        var rows = cells.div(grid.Columns, rounding_mode: RoundingMode.floor);
        var columns = cells.remainder(grid.Columns);
        var mask = (rows + columns + options.Phase).remainder(2).eq(0).view(1, -1).expand(batch, -1).contiguous();
        return new MaskPlan { Grid = grid, Mask = mask };
    }
}

public sealed class FixtureModule : IPluginModule
{
    public void Register(IServiceCollection services) =>
        services.AddPlugin<IMaskingStrategy, CheckerboardMasking, CheckerboardOptions>(PluginKind.Masking, "checkerboard",
            "Test fixture: masks alternate patches [a checkerboard, 1/2 of the grid].");
}
