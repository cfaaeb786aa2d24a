using ScottPlot;
using ScottPlot.TickGenerators;
using SdAE.Host.Runs;
using SkiaSharp;

namespace SdAE.Host.Reports;

/// <summary>
/// What every picture shares: whole-number epoch ticks spaced for the axis's length, legends beside
/// the data rather than on it, a log-scale axis labelled in the data's own units, and panels.
/// </summary>
public static class FigureStyle
{
    /// <summary>Epochs <paramref name="first"/> to <paramref name="last"/> on the x axis, whole numbers only, at the spacing the length allows.</summary>
    public static void EpochAxis(Plot plot, double first, double last)
    {
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.AutoScale();
        double pad = Math.Max(0.25, 0.03 * (last - first));
        plot.Axes.SetLimitsX(first - pad, last + pad);
    }

    public static void LegendBeside(Plot plot) => plot.ShowLegend(Edge.Right);

    /// <summary>The value drawn for <paramref name="value"/> on a log axis.</summary>
    public static double Log(double value) => Math.Log10(Math.Max(value, 1e-12));

    /// <summary>Ticks at 1, 2 and 5 times each power of ten that the data's range covers, labelled as the values themselves.</summary>
    public static void LogAxis(IAxis axis, IEnumerable<double> values)
    {
        var positive = values.Where(v => v > 0 && double.IsFinite(v)).ToList();
        if (positive.Count == 0) return;
        int low = (int)Math.Floor(Math.Log10(positive.Min())), high = (int)Math.Ceiling(Math.Log10(positive.Max()));
        var ticks = new List<Tick>();
        for (int power = low; power <= high; power++)
            foreach (var step in new[] { 1.0, 2.0, 5.0 })
            {
                double value = step * Math.Pow(10, power);
                ticks.Add(new Tick(Math.Log10(value), value.ToString("G3", System.Globalization.CultureInfo.InvariantCulture), isMajor: true));
            }
        axis.TickGenerator = new NumericManual(ticks.ToArray());
    }

    /// <summary>Plots side by side in a grid of at most <paramref name="columns"/> columns, one PNG.</summary>
    public static void SavePanels(string path, IReadOnlyList<Plot> panels, int columns, int panelWidth, int panelHeight)
    {
        int cols = Math.Min(columns, panels.Count), rows = (panels.Count + cols - 1) / cols;
        using var surface = SKSurface.Create(new SKImageInfo(cols * panelWidth, rows * panelHeight));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < panels.Count; i++)
        {
            using var bitmap = SKBitmap.Decode(panels[i].GetImage(panelWidth, panelHeight).GetImageBytes());
            surface.Canvas.DrawBitmap(bitmap, i % cols * panelWidth, i / cols * panelHeight);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, stream => png.SaveTo(stream));
    }
}
