using System.Text;

namespace SdAE.Host.Config;

/// <summary>Experiment keys and enum values are the snake_case form of C# names (`DropPath` -> `drop_path`).</summary>
public static class NameConvention
{
    public static string ToSnakeCase(string name) => SdAE.Abstractions.Options.OptionKeys.ToSnakeCase(name);

    /// <summary>The candidate closest to <paramref name="word"/> by edit distance, if it is close enough to be a typo.</summary>
    public static string? ClosestMatch(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int distance = EditDistance(word, candidate);
            if (distance < bestDistance) { best = candidate; bestDistance = distance; }
        }
        return best is not null && bestDistance <= Math.Max(2, word.Length / 3) ? best : null;
    }

    static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
