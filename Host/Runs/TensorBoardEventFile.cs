using Google.Protobuf;
using Tensorboard;
using TorchSharp.Utils;

namespace SdAE.Host.Runs;

/// <summary>
/// TensorBoard's event-file framing (TFRecord): per event its length (8 bytes, little-endian), the
/// masked CRC-32C of the length, the serialized event, the masked CRC-32C of the event.
/// </summary>
public static class TensorBoardEventFile
{
    public static void Append(Stream file, Event evnt)
    {
        var bytes = evnt.ToByteArray();
        using var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write((long)bytes.Length);
        writer.Write(MaskedCrc(CRC32C.process((long)bytes.Length)));
        writer.Write(bytes);
        writer.Write(MaskedCrc(CRC32C.process(bytes)));
    }

    /// <summary>The CRC as TFRecord stores it: rotated right by 15 bits plus a constant.</summary>
    public static uint MaskedCrc(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
