using SdAE.Abstractions.Masking;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Training.Layers;

/// <summary>
/// Fixed 2-D sin-cos position embedding with a zero cls slot: [1 + L, D]. The first half of the
/// channels encodes the column index, the second half the row index; each half is
/// [sin(pos * w_i), cos(pos * w_i)] with w_i = 1 / 10000^(i / (D/4)).
/// </summary>
public static class SinCosPositionEmbedding
{
    public static Tensor Create(int width, GridSize grid)
    {
        if (width % 4 != 0) throw new ArgumentException("width must divide by 4", nameof(width));
        int quarter = width / 4;
        var values = new float[(1 + grid.Count) * width];
        for (int token = 0; token < grid.Count; token++)
        {
            int row = token / grid.Columns, column = token % grid.Columns;
            int offset = (1 + token) * width;
            Fill(values, offset, column, quarter);
            Fill(values, offset + 2 * quarter, row, quarter);
        }
        return tensor(values, [1 + grid.Count, width]);
    }

    static void Fill(float[] values, int offset, int position, int quarter)
    {
        for (int i = 0; i < quarter; i++)
        {
            double omega = 1.0 / Math.Pow(10000.0, (double)i / quarter);
            values[offset + i] = (float)Math.Sin(position * omega);
            values[offset + quarter + i] = (float)Math.Cos(position * omega);
        }
    }
}
