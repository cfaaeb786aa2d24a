namespace SdAE.Abstractions.Masking;

/// <summary>The patch grid of an image: <see cref="Rows"/> x <see cref="Columns"/> tokens, row-major.</summary>
public readonly record struct GridSize(int Rows, int Columns)
{
    public int Count => Rows * Columns;
    public override string ToString() => $"{Rows}x{Columns}";
}
