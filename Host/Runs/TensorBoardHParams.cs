using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Tensorboard;

namespace SdAE.Host.Runs;

/// <summary>
/// A run's settings and final metrics for TensorBoard's HParams dashboard, as PyTorch's
/// <c>SummaryWriter.add_hparams</c> writes them: three summaries of the "hparams" plugin (the
/// experiment: which settings and metrics exist; the session start: this run's values; the session
/// end), whose content is the plugin's <c>HParamsPluginData</c> message. TorchSharp's writer has no
/// call for plugin summaries and its types do not include that message, so it is encoded here by its
/// field numbers (tensorboard/plugins/hparams/plugin_data.proto and api.proto) and the events
/// appended to their own event file in TFRecord framing.
/// </summary>
public static class TensorBoardHParams
{
    const string PluginName = "hparams";
    const int PluginDataVersion = 0;

    // HParamsPluginData: version = 1, experiment = 2, session_start_info = 3, session_end_info = 4
    // Experiment: hparam_infos = 4 (HParamInfo: name = 1, type = 4), metric_infos = 5 (MetricInfo: name = 1 -> MetricName: tag = 2)
    // SessionStartInfo: hparams = 1 (map<string, google.protobuf.Value>), start_time_secs = 5; SessionEndInfo: status = 1, end_time_secs = 2
    enum DataType { String = 1, Bool = 2, Float64 = 3 }
    const int StatusSuccess = 1;

    /// <summary>Appends the three summaries to a new event file under <paramref name="directory"/>.</summary>
    public static void Write(string directory, IReadOnlyDictionary<string, string> settings, IEnumerable<string> metricTags, long step)
    {
        var values = settings.ToDictionary(pair => pair.Key, pair => ValueOf(pair.Value));
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var experiment = Message(output =>
        {
            foreach (var (name, value) in values)
                output.WriteMessageField(4, info =>
                {
                    info.WriteStringField(1, name);
                    info.WriteEnumField(4, (int)TypeOf(value));
                });
            foreach (var tag in metricTags)
                output.WriteMessageField(5, info => info.WriteMessageField(1, metricName => metricName.WriteStringField(2, tag)));
        });
        var sessionStart = Message(output =>
        {
            foreach (var (name, value) in values)
                output.WriteMessageField(1, entry =>
                {
                    entry.WriteStringField(1, name);
                    entry.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    entry.WriteMessage(value);
                });
            output.WriteTag(5, WireFormat.WireType.Fixed64);
            output.WriteDouble(now);
        });
        var sessionEnd = Message(output =>
        {
            output.WriteEnumField(1, StatusSuccess);
            output.WriteTag(2, WireFormat.WireType.Fixed64);
            output.WriteDouble(now);
        });
        var path = Path.Combine(directory, $"events.out.tfevents.{DateTime.UtcNow.Ticks}.{Environment.MachineName}.{Environment.ProcessId}.hparams");
        Directory.CreateDirectory(directory);
        using var file = new FileStream(path, FileMode.CreateNew);
        TensorBoardEventFile.Append(file, new Event { WallTime = now, FileVersion = "brain.Event:2" });
        foreach (var (tag, field, content) in new[] { ("experiment", 2, experiment), ("session_start_info", 3, sessionStart), ("session_end_info", 4, sessionEnd) })
        {
            var pluginData = Message(output =>
            {
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteInt32(PluginDataVersion);
                output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(content);
            });
            var summary = new Summary();
            summary.Value.Add(new Summary.Types.Value
            {
                Tag = $"_hparams_/{tag}",
                Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = PluginName, Content = pluginData } },
            });
            TensorBoardEventFile.Append(file, new Event { WallTime = now, Step = step, Summary = summary });
        }
    }

    /// <summary>A setting as TensorBoard's value: a number, a boolean or text (lists and the rest as their YAML text).</summary>
    static Value ValueOf(string text) =>
        text is "true" or "false" ? Value.ForBool(text == "true")
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? Value.ForNumber(number)
        : Value.ForString(text);

    static DataType TypeOf(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.BoolValue => DataType.Bool,
        Value.KindOneofCase.NumberValue => DataType.Float64,
        _ => DataType.String,
    };

    static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true)) write(output);
        return ByteString.CopyFrom(buffer.ToArray());
    }

    static void WriteMessageField(this CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(write));
    }

    static void WriteStringField(this CodedOutputStream output, int field, string text)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(text);
    }

    static void WriteEnumField(this CodedOutputStream output, int field, int value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteEnum(value);
    }
}
