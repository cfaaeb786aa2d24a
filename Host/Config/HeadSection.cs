using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using SdAE.Abstractions.Options;

namespace SdAE.Host.Config;

/// <summary>The keys of an `eval` entry the host reads itself, beside the head plugin's own options.</summary>
public sealed partial class HeadSection : IValidatableOptions
{
    [Range(0, int.MaxValue), Description("Also run every N pre-training epochs (0: only at the end).")]
    public int Every { get; set; }

    [Description("Evaluate the student encoder or the target's teacher.")]
    public EvalEncoder Encoder { get; set; } = EvalEncoder.Student;

    [Range(0, int.MaxValue), Description("Train on a class-balanced subset of N labelled images per class (0: every label).")]
    public int LabelsPerClass { get; set; }

    [Description("Name in tables, results.json and sweep reports; empty: the type, _teacher for the teacher, @N for labels_per_class. Needed when two entries would share a name.")]
    public string Name { get; set; } = "";

    public IEnumerable<OptionError> Validate()
    {
        if (!NamePattern().IsMatch(Name))
            yield return new("name", $"'{Name}' has characters other than letters, digits and _ . @ -; e.g. name: finetune_lr2@100.");
    }

    [GeneratedRegex("^[A-Za-z0-9_.@-]*$")]
    private static partial Regex NamePattern();
}
