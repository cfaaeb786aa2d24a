namespace SdAE.Host.Sweeps;

/// <summary>
/// The runs `sdae sweep --only` names: a variant's name selects all its runs, a run's folder name
/// (e.g. <c>mae__seed-0</c>) that one run, so a sweep split over sittings can do one seed of every variant first.
/// </summary>
public sealed class SweepSelection
{
    readonly HashSet<string> variants;
    readonly HashSet<string> runIds;

    SweepSelection(IReadOnlyList<string> names, HashSet<string> variants, HashSet<string> runIds)
    {
        Names = names;
        this.variants = variants;
        this.runIds = runIds;
    }

    /// <summary>The names as given, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    public bool Contains(SweepRun run) => variants.Contains(run.Variant) || runIds.Contains(run.RunId);

    /// <summary>Checks every comma-separated name against the sweep's variants and run folders; one unknown name is a <see cref="UserError"/>.</summary>
    public static SweepSelection Parse(SweepDefinition sweep, IReadOnlyList<SweepRun> runs, string only)
    {
        var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        var knownVariants = sweep.Variants.Select(v => v.Name).ToHashSet();
        var knownRuns = runs.Select(r => r.RunId).ToHashSet();
        var unknown = names.Where(n => !knownVariants.Contains(n) && !knownRuns.Contains(n)).ToList();
        if (names.Count == 0 || unknown.Count > 0)
            throw new UserError(
                $"--only {only}: {(names.Count == 0 ? "names no variant or run" : $"{string.Join(", ", unknown)} is not a variant or run of sweep {sweep.Name}")}.",
                $"name variants from its file ({string.Join(", ", sweep.Variants.Select(v => v.Name))}) or run folders as `sdae sweep --dry-run` lists them (e.g. {runs[0].RunId}), comma-separated.");
        return new SweepSelection(names, names.Where(knownVariants.Contains).ToHashSet(), names.Where(knownRuns.Contains).ToHashSet());
    }
}
