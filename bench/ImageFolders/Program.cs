// Generates two labelled image folders for `sdae bench-data`, deterministically:
//   png64/<class>/*.png    20,000 64x64 RGB PNGs, 10 classes
//   jpeg256/<class>/*.jpg   2,000 256x256 RGB JPEGs (quality 90), 10 classes
// Each image is a few soft coloured discs on a gradient with pixel noise, so the codecs see
// photo-like content rather than flat colour.
using SkiaSharp;

var output = args.Length > 0 ? args[0] : "bench-data";
Write(Path.Combine(output, "png64"), count: 20_000, side: 64, SKEncodedImageFormat.Png, ".png");
Write(Path.Combine(output, "jpeg256"), count: 2_000, side: 256, SKEncodedImageFormat.Jpeg, ".jpg");

static void Write(string folder, int count, int side, SKEncodedImageFormat format, string extension)
{
    if (Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*" + extension, SearchOption.AllDirectories).Count() == count)
    {
        Console.WriteLine($"{folder}: {count} images already there");
        return;
    }
    Parallel.For(0, count, index =>
    {
        var random = new Random(index);
        using var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(side, side),
                    [RandomColour(random), RandomColour(random)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, side, side, background);
            using var disc = new SKPaint { IsAntialias = true, MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, side / 32f) };
            for (int d = 0; d < 3 + index % 10; d++)
            {
                disc.Color = RandomColour(random);
                canvas.DrawCircle(random.NextSingle() * side, random.NextSingle() * side, side * (0.05f + 0.15f * random.NextSingle()), disc);
            }
        }
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < pixels.Length; i++)
            if (i % 4 != 3) pixels[i] = (byte)Math.Clamp(pixels[i] + random.Next(-8, 9), 0, 255);
        var path = Path.Combine(folder, $"class{index % 10}", $"{index:D5}{extension}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var data = bitmap.Encode(format, 90);
        using var file = File.Create(path);
        data.SaveTo(file);
    });
    Console.WriteLine($"{folder}: wrote {count} {side}x{side} images");
}

static SKColor RandomColour(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
