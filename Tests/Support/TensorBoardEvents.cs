using Google.Protobuf;
using SdAE.Host.Runs;
using Tensorboard;
using TorchSharp.Utils;

namespace SdAE.Tests.Support;

/// <summary>Reads TensorBoard event files back: every record's framing and CRCs checked, each event parsed.</summary>
public static class TensorBoardEvents
{
    public static List<Event> ReadAll(string directory)
    {
        var events = new List<Event>();
        foreach (var path in Directory.GetFiles(directory, "events.out.tfevents.*").Order())
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                long length = reader.ReadInt64();
                Assert.That(reader.ReadUInt32(), Is.EqualTo(TensorBoardEventFile.MaskedCrc(CRC32C.process(length))), $"{path}: length CRC");
                var bytes = reader.ReadBytes((int)length);
                Assert.That(reader.ReadUInt32(), Is.EqualTo(TensorBoardEventFile.MaskedCrc(CRC32C.process(bytes))), $"{path}: event CRC");
                events.Add(Event.Parser.ParseFrom(bytes));
            }
        }
        return events;
    }

    public static IEnumerable<Summary.Types.Value> Values(this IEnumerable<Event> events) =>
        events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value);

    /// <summary>The hyper-parameters of the hparams plugin's session start summary: HParamsPluginData field 3, its map field 1.</summary>
    public static Dictionary<string, Google.Protobuf.WellKnownTypes.Value> HyperParameters(IEnumerable<Event> events)
    {
        var start = events.Values().Single(v => v.Tag == "_hparams_/session_start_info");
        Assert.That(start.Metadata.PluginData.PluginName, Is.EqualTo("hparams"));
        var sessionStart = Field(start.Metadata.PluginData.Content, 3).Single();
        var values = new Dictionary<string, Google.Protobuf.WellKnownTypes.Value>();
        foreach (var entry in Field(sessionStart, 1))
            values[Field(entry, 1).Single().ToStringUtf8()] = Google.Protobuf.WellKnownTypes.Value.Parser.ParseFrom(Field(entry, 2).Single());
        return values;
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message (others skipped).</summary>
    public static List<ByteString> Field(ByteString message, int number)
    {
        var found = new List<ByteString>();
        var input = message.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited) found.Add(input.ReadBytes());
            else input.SkipLastField();
        return found;
    }
}
