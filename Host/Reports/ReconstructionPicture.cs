using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SkiaSharp;
using static TorchSharp.torch;

namespace SdAE.Host.Reports;

/// <summary>
/// A PNG grid under column titles, one row per image: original | masked (hidden patches grey) |
/// reconstruction (predicted masked patches, visible ones from the input). Images are de-normalised
/// and scaled up.
/// </summary>
public static class ReconstructionPicture
{
    const int TitleHeight = 18;
    static readonly string[] Titles = ["original", "masked", "reconstruction"];

    public static void Write(string path, ReconstructionSample sample)
    {
        var (images, reconstruction, patch, normalization) = (sample.Images, sample.Reconstruction, sample.Patch, sample.Normalization);
        int count = (int)images.shape[0], channels = (int)images.shape[1], side = (int)images.shape[2];
        int scale = Math.Max(1, 96 / side), cell = side * scale, gap = 2;
        var original = Denormalise(images, normalization);
        var rebuilt = Denormalise(reconstruction, normalization);
        var mask = sample.Mask.data<bool>().ToArray();
        int columns = side / patch;

        using var bitmap = new SKBitmap(3 * cell + 4 * gap, TitleHeight + count * cell + (count + 1) * gap);
        bitmap.Erase(SKColors.White);
        DrawTitles(bitmap, cell, gap);
        for (int n = 0; n < count; n++)
        {
            int top = TitleHeight + gap + n * (cell + gap);
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    bool hidden = mask[n * columns * columns + (y / patch) * columns + x / patch];
                    var source = Pixel(original, n, channels, side, y, x);
                    Fill(bitmap, gap, top, scale, y, x, source);
                    Fill(bitmap, 2 * gap + cell, top, scale, y, x, hidden ? new SKColor(128, 128, 128) : source);
                    Fill(bitmap, 3 * gap + 2 * cell, top, scale, y, x, Pixel(rebuilt, n, channels, side, y, x));
                }
        }
        AtomicFile.Write(path, stream => bitmap.Encode(stream, SKEncodedImageFormat.Png, 100));
    }

    static void DrawTitles(SKBitmap bitmap, int cell, int gap)
    {
        using var canvas = new SKCanvas(bitmap);
        using var font = new SKFont(SKTypeface.Default, Math.Min(13, cell / 8f));
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int column = 0; column < Titles.Length; column++)
            canvas.DrawText(Titles[column], gap + column * (cell + gap) + cell / 2f, TitleHeight - 5, SKTextAlign.Center, font, paint);
    }

    static float[] Denormalise(Tensor images, (float[] Mean, float[] Std) normalization)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(normalization.Mean).view(1, -1, 1, 1);
        var std = tensor(normalization.Std).view(1, -1, 1, 1);
        return (images.detach().cpu() * std + mean).clamp(0, 1).contiguous().data<float>().ToArray();
    }

    static SKColor Pixel(float[] values, int n, int channels, int side, int y, int x)
    {
        byte Channel(int c) => (byte)Math.Round(255 * values[((n * channels + c) * side + y) * side + x]);
        return channels == 1 ? new SKColor(Channel(0), Channel(0), Channel(0)) : new SKColor(Channel(0), Channel(1), Channel(2));
    }

    static void Fill(SKBitmap bitmap, int left, int top, int scale, int y, int x, SKColor color)
    {
        for (int dy = 0; dy < scale; dy++)
            for (int dx = 0; dx < scale; dx++)
                bitmap.SetPixel(left + x * scale + dx, top + y * scale + dy, color);
    }
}
