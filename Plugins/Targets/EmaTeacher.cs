using SdAE.Abstractions.Models;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

/// <summary>
/// An encoder that follows a student by exponential moving average (SdAE's and data2vec's teacher):
/// a same-shape encoder, in eval mode, without gradients; <see cref="Update"/> moves every parameter
/// (and the buffers named in <c>movedBuffers</c>) toward the student's. The mask token is the
/// student's own and not averaged.
/// </summary>
public sealed class EmaTeacher : IDisposable
{
    readonly EncoderModule student;
    IReadOnlyList<string> movedBuffers = [];
    (List<Tensor> Teacher, List<Tensor> Student)? tensors;

    public EmaTeacher(EncoderModule student)
    {
        this.student = student;
        Encoder = student.CreateSameShape();
        Encoder.eval();
        foreach (var parameter in Encoder.parameters()) parameter.requires_grad = false;
    }

    public EncoderModule Encoder { get; }

    /// <summary>Buffers of the teacher that the average moves too (a learnable-at-init position table).</summary>
    public void AlsoMove(IReadOnlyList<string> buffers)
    {
        movedBuffers = buffers;
        tensors = null;
    }

    public static bool IsExcludedFromEma(string name) => name.Contains("mask_token", StringComparison.Ordinal);

    /// <summary>Cosine schedule from <paramref name="start"/> at i = 0 to <paramref name="end"/> at i = total.</summary>
    public static double MomentumAt(double start, double end, long i, long total) =>
        end + 0.5 * (start - end) * (1 + Math.Cos(Math.PI * i / Math.Max(1, total)));

    /// <summary>
    /// teacher = m * teacher + (1 - m) * student, in place. The teacher's parameters are kept back to
    /// back in one buffer; when the student's lie back to back too (the flat optimizer lays them out
    /// so), the update is two operations for the whole encoder.
    /// </summary>
    public void Update(double momentum)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (teacherTensors, studentTensors) = Tensors();
        var teacherSpan = FlatLayout.SpanOf(teacherTensors) ?? FlatLayout.Flatten(teacherTensors);
        if (FlatLayout.SpanOf(studentTensors) is { } studentSpan)
            teacherSpan.mul_(momentum).add_(studentSpan, alpha: 1 - momentum);
        else
            for (int i = 0; i < teacherTensors.Count; i++)
                teacherTensors[i].mul_(momentum).add_(studentTensors[i], alpha: 1 - momentum);
    }

    /// <summary>
    /// The teacher's EMA parameters and the student's of the same names, in the teacher's order.
    /// Kept between steps (looking them up by name costs about 1 ms for a ViT); moving a module to
    /// another device or type disposes its old parameter tensors, which is how a stale list shows.
    /// </summary>
    (List<Tensor> Teacher, List<Tensor> Student) Tensors()
    {
        if (tensors is { } cached && !cached.Teacher.Concat(cached.Student).Any(t => t.IsInvalid)) return cached;
        var studentTensors = student.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(student.named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);
        var names = Encoder.named_parameters().Where(p => !IsExcludedFromEma(p.name)).Select(p => (p.name, (Tensor)p.parameter))
            .Concat(Encoder.named_buffers().Where(b => movedBuffers.Contains(b.name))).ToList();
        tensors = (names.Select(p => p.Item2).ToList(), names.Select(p => studentTensors[p.Item1]).ToList());
        return tensors.Value;
    }

    public void Dispose() => Encoder.Dispose();
}
