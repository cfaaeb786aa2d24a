using System.Collections.Concurrent;
using System.Diagnostics;
using SdAE.Abstractions.Data;
using SdAE.Abstractions.Plugins;

namespace SdAE.Host.Data;

/// <summary>Where decoded image <c>index</c> goes.</summary>
public delegate Span<byte> PixelSlot(int index);

/// <summary>What decoding a split gave: the indices that decoded, in order, and each skipped file with why.</summary>
public sealed record DecodeOutcome(int[] Kept, string[] Skipped);

/// <summary>
/// Decodes the first <c>count</c> images of a source into their slots on <c>workers</c> threads,
/// reporting images/s and the time left. Unreadable files are skipped with a warning each, up to
/// <c>maxUnreadable</c> of the images; past that the data is treated as broken.
/// </summary>
public static class ImageDecoding
{
    public static DecodeOutcome DecodeAll(IImageSource source, int count, PixelSlot slot, int workers, double maxUnreadable, IProgressReporter progress)
    {
        var skipped = new ConcurrentDictionary<int, string>();
        long done = 0;
        var clock = Stopwatch.StartNew();
        string task = $"decoding {source.Name}";
        var work = Task.Run(() => Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, index =>
        {
            try
            {
                source.Read(index, slot(index));
            }
            catch (UnreadableImageException e)
            {
                skipped[index] = e.Message;
            }
            Interlocked.Increment(ref done);
        }));
        bool report = source.CacheKey is not null;
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(250)))   // unlike Task.Wait, does not throw
            if (report) progress.Report(task, Interlocked.Read(ref done), count, Speed(done, count, clock.Elapsed));
        try
        {
            work.GetAwaiter().GetResult();
        }
        catch (AggregateException e)
        {
            // a problem with the data as a whole (images of mixed sizes) stops decoding on the first worker that meets it
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
        if (report) progress.Report(task, count, count, Speed(count, count, clock.Elapsed));

        // warnings from this thread, after the workers: the display is not written from several threads
        var problems = skipped.OrderBy(p => p.Key).Select(p => p.Value).ToList();
        foreach (var problem in problems.Take(20)) progress.Info($"warning: skipping unreadable image {problem}");
        if (problems.Count > 20) progress.Info($"warning: ... and {problems.Count - 20} more unreadable images");
        if (skipped.Count > maxUnreadable * count)
            throw new UserError($"{skipped.Count} of {count} images in {source.Name} are unreadable (e.g. {problems[0]}), more than data.max_unreadable {maxUnreadable:0.###} allows.",
                "remove or replace the broken files, or raise data.max_unreadable.");
        var kept = Enumerable.Range(0, count).Where(i => !skipped.ContainsKey(i)).ToArray();
        return new DecodeOutcome(kept, [.. problems]);
    }

    static string Speed(long done, long total, TimeSpan elapsed)
    {
        double perSecond = done / Math.Max(elapsed.TotalSeconds, 1e-3);
        var left = TimeSpan.FromSeconds(perSecond > 0 ? (total - done) / perSecond : 0);
        return $"{perSecond:N0} images/s, {left:hh\\:mm\\:ss} left";
    }
}
