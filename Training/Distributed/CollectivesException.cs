namespace SdAE.Training.Distributed;

/// <summary>A collective library that is missing or failed; the message says which and how to get it.</summary>
public sealed class CollectivesException(string message, string fix) : Exception(message)
{
    public string Fix { get; } = fix;
}
