using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace SdAE.Host.Config;

/// <summary>The keys of an `eval` entry the host reads itself, beside the head plugin's own options.</summary>
public sealed class HeadSection
{
    [Range(0, int.MaxValue), Description("Also run every N pre-training epochs (0: only at the end).")]
    public int Every { get; set; }

    [Description("Evaluate the student encoder or the target's teacher.")]
    public EvalEncoder Encoder { get; set; } = EvalEncoder.Student;

    [Range(0, int.MaxValue), Description("Train on a class-balanced subset of N labelled images per class (0: every label).")]
    public int LabelsPerClass { get; set; }
}
