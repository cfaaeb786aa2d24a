using SdAE.Abstractions.Data;
using SkiaSharp;

namespace SdAE.Plugins.Datasets;

public enum SquareFit
{
    /// <summary>Resize the shorter side to the target, then cut the centre square (torchvision's Resize + CenterCrop).</summary>
    Crop,
    /// <summary>Resize both sides to the target, changing the aspect ratio.</summary>
    Stretch,
}

/// <summary>Decodes one image file with SkiaSharp into square uint8 channel-major pixels.</summary>
public static class ImageDecoder
{
    static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Width and height from the file's header, without decoding the pixels.</summary>
    public static SKSizeI Dimensions(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new UnreadableImageException(path, "not an image SkiaSharp can read");
        return codec.Info.Size;
    }

    /// <summary>
    /// Decodes <paramref name="path"/> to <paramref name="size"/> x <paramref name="size"/> with
    /// <paramref name="channels"/> channels (1: luma) into <paramref name="destination"/>.
    /// JPEGs much larger than the target are decoded at a reduced scale first, which is much faster.
    /// Returns the file's own width and height.
    /// </summary>
    public static SKSizeI Decode(string path, int size, SquareFit fit, int channels, Span<byte> destination)
    {
        using var codec = SKCodec.Create(path) ?? throw new UnreadableImageException(path, "not an image SkiaSharp can read (or the file is corrupt)");
        var full = codec.Info.Size;
        float shorter = Math.Min(full.Width, full.Height);
        var scaled = codec.GetScaledDimensions(Math.Min(1f, size / shorter));
        if (Math.Min(scaled.Width, scaled.Height) < size) scaled = full;
        using var decoded = new SKBitmap(new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            throw new UnreadableImageException(path, result == SKCodecResult.IncompleteInput ? "truncated image data" : $"cannot be decoded ({result})");

        using var square = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var source = fit == SquareFit.Crop ? CentreSquare(decoded) : decoded.Copy())
            if (!source.ScalePixels(square, Sampling))
                throw new UnreadableImageException(path, "could not be resized");
        ToChannelMajor(square.GetPixelSpan(), size * size, channels, destination);
        return full;
    }

    static SKBitmap CentreSquare(SKBitmap image)
    {
        int side = Math.Min(image.Width, image.Height);
        var box = SKRectI.Create((image.Width - side) / 2, (image.Height - side) / 2, side, side);
        var square = new SKBitmap();
        if (!image.ExtractSubset(square, box)) throw new InvalidOperationException("centre crop outside the image");
        return square;
    }

    static void ToChannelMajor(ReadOnlySpan<byte> rgba, int pixels, int channels, Span<byte> destination)
    {
        for (int p = 0; p < pixels; p++)
        {
            byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
            if (channels == 1)
            {
                destination[p] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
                continue;
            }
            destination[p] = r;
            destination[pixels + p] = g;
            destination[2 * pixels + p] = b;
        }
    }
}
