using SkiaSharp;

namespace SdAE.Tests.Support;

/// <summary>Image files written by tests with SkiaSharp: known RGB pixels as PNG (exact) or JPEG (lossy).</summary>
public static class ImageFiles
{
    /// <summary>Random RGB pixels, channel-major [3, height, width], from a seed.</summary>
    public static byte[] RandomPixels(int width, int height, int seed)
    {
        var pixels = new byte[3 * width * height];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    /// <summary>A smooth RGB gradient (JPEG keeps it within a few levels), channel-major.</summary>
    public static byte[] Gradient(int width, int height, int seed)
    {
        var pixels = new byte[3 * width * height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    pixels[(c * height + y) * width + x] = (byte)(20 + 40 * c + 3 * x + 2 * y + seed % 10);
        return pixels;
    }

    public static string Write(string path, byte[] channelMajor, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = bitmap.GetPixelSpan();
        int plane = width * height;
        for (int p = 0; p < plane; p++)
        {
            rgba[4 * p] = channelMajor[p];
            rgba[4 * p + 1] = channelMajor[plane + p];
            rgba[4 * p + 2] = channelMajor[2 * plane + p];
            rgba[4 * p + 3] = 255;
        }
        using var data = bitmap.Encode(format, 95);
        using var file = File.Create(path);
        data.SaveTo(file);
        return path;
    }

    /// <summary>A labelled folder root/&lt;class&gt;/&lt;i&gt;.png of random pixels; returns each image's pixels by path.</summary>
    public static Dictionary<string, byte[]> WriteLabelledFolder(string root, string[] classes, int perClass, int side)
    {
        var written = new Dictionary<string, byte[]>();
        for (int c = 0; c < classes.Length; c++)
            for (int i = 0; i < perClass; i++)
            {
                var pixels = RandomPixels(side, side, seed: 100 * c + i);
                written[Write(Path.Combine(root, classes[c], $"{i:D3}.png"), pixels, side, side)] = pixels;
            }
        return written;
    }
}
