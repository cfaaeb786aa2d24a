namespace SdAE.Abstractions.Plugins;

/// <summary>The kinds of swappable parts; each is a section of an experiment file.</summary>
public enum PluginKind
{
    Backbone,
    Decoder,
    Masking,
    Target,
    Head,
    Dataset,
}

public static class PluginKindNames
{
    /// <summary>The experiment-file key of a kind (`backbone`, `decoder`, `masking`, `target`, `eval`, `data`).</summary>
    public static string SectionName(this PluginKind kind) => kind switch
    {
        PluginKind.Head => "eval",
        PluginKind.Dataset => "data",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
