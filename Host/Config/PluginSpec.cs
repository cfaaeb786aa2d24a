using SdAE.Abstractions.Plugins;

namespace SdAE.Host.Config;

/// <summary>A plugin section of an experiment: which plugin (`type:`) and its bound options.</summary>
public sealed class PluginSpec
{
    public required PluginKind Kind { get; init; }
    public required IPluginFactory Factory { get; init; }
    public required object Options { get; init; }
    /// <summary>The experiment file and line of the section, for errors raised after binding.</summary>
    public string File { get; init; } = "";
    public int Line { get; init; }

    /// <summary>
    /// Runs <paramref name="action"/> (creating or first using this section's plugin) and turns the
    /// ArgumentException a plugin throws for options that do not fit (a patch that does not divide
    /// the image, a ratio that leaves no patch visible) into an error at this section's line.
    /// </summary>
    public T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (Unwrap(e) is ArgumentException argument)
        {
            throw new ExperimentError(File, Line, 1, $"{Kind.SectionName()} '{Type}': {argument.Message}", null);
        }
    }

    /// <summary>As <see cref="Guard{T}"/>, for an action without a result.</summary>
    public void Guard(Action action) => Guard(() => { action(); return true; });

    static Exception Unwrap(Exception e) => e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? Unwrap(inner) : e;

    /// <summary>
    /// The keys of this section the host reads itself, bound beside the plugin's options from the same
    /// mapping: a <see cref="HeadSection"/> for `eval` entries, <see cref="DataOptions"/> for `data`,
    /// <see cref="BackboneSection"/> for `backbone`; null for other kinds.
    /// </summary>
    public object? Section { get; init; }

    /// <summary>The type the host binds <see cref="Section"/> to for a kind, or null when it reads no keys of its own.</summary>
    public static Type? SectionType(PluginKind kind) => kind switch
    {
        PluginKind.Head => typeof(HeadSection),
        PluginKind.Dataset => typeof(DataOptions),
        PluginKind.Backbone => typeof(BackboneSection),
        _ => null,
    };

    HeadSection Head => Section as HeadSection ?? new HeadSection();

    /// <summary>Heads only: also run every N pre-training epochs (0: only at the end).</summary>
    public int Every => Head.Every;

    /// <summary>Heads only: evaluate the student encoder or the target's teacher.</summary>
    public EvalEncoder Encoder => Head.Encoder;

    /// <summary>Heads only: train on a class-balanced subset of N labelled images per class (0: every label).</summary>
    public int LabelsPerClass => Head.LabelsPerClass;

    /// <summary>Data sections only: the host's data options (image size, limits, augmentation, cache).</summary>
    public DataOptions DataOptions => Section as DataOptions ?? throw new InvalidOperationException($"{Kind} section has no data options");

    public string Type => Factory.Name;

    /// <summary>How results are named: the head's `name`, else the type, "_teacher" when the teacher is evaluated, "@N" for N labels per class.</summary>
    public string Label => Head.Name.Length > 0 ? Head.Name : Type + (Encoder == EvalEncoder.Teacher ? "_teacher" : "") + (LabelsPerClass > 0 ? $"@{LabelsPerClass}" : "");
}

/// <summary>Marks an experiment property whose YAML node is a plugin section of the given kind.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PluginSectionAttribute(PluginKind kind) : Attribute
{
    public PluginKind Kind { get; } = kind;
}

public enum EvalEncoder
{
    Student,
    Teacher,
}
