using SdAE.Host.Config;

namespace SdAE.Tests.Support;

/// <summary>Test variants of an experiment, made the way sweeps make theirs, so an edit cannot silently miss.</summary>
public static class ExperimentVariants
{
    /// <summary>The experiment with a YAML overlay applied (sections naming a new `type` replace the old one; `~` removes a key).</summary>
    public static string Overlay(this string experimentYaml, string overlay) =>
        YamlOverlay.ToText(YamlOverlay.Apply(YamlOverlay.Parse(experimentYaml), YamlOverlay.Parse(overlay)));

    /// <summary>Replaces text that must occur exactly once: for tests of malformed files, which no overlay can write.</summary>
    public static string ReplaceOnce(this string text, string old, string replacement)
    {
        int first = text.IndexOf(old, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(old, first + 1, StringComparison.Ordinal) >= 0)
            throw new ArgumentException($"'{old}' must occur exactly once in the experiment text.");
        return text.Replace(old, replacement);
    }
}
