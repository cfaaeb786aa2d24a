using System.Runtime.InteropServices;

namespace SdAE.Plugins.Datasets;

/// <summary>
/// Lists image files under folders, following symbolic links to directories but entering each
/// real directory once per listing: a link back to a folder above it (a loop) or to a folder
/// already listed is reported once as a warning naming the link and not descended, so a listing
/// always ends and never counts a file twice or gives one class another's images.
/// </summary>
public sealed class FolderWalk(Action<string> warn)
{
    readonly HashSet<string> listed = new(StringComparer.Ordinal);

    /// <summary>The images in <paramref name="folder"/> (and, when <paramref name="recursive"/>, below it), sorted by path.</summary>
    public string[] Images(string folder, bool recursive)
    {
        var found = new List<string>();
        Walk(folder, RealPath(folder), recursive, found);
        return [.. found.Order(StringComparer.Ordinal)];
    }

    void Walk(string folder, string real, bool recursive, List<string> found)
    {
        if (!listed.Add(real)) return;
        found.AddRange(Directory.EnumerateFiles(folder).Where(FolderListing.IsImage));
        if (!recursive) return;
        foreach (var child in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var childReal = RealPath(child);
            if (real == childReal || real.StartsWith(childReal.TrimEnd('/') + "/", StringComparison.Ordinal))
                warn($"warning: {child} links back to {childReal}, a folder above it (a loop): not followed.");
            else if (listed.Contains(childReal))
                warn($"warning: {child} leads to {childReal}, which is already listed: not followed again.");
            else
                Walk(child, childReal, recursive, found);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    static extern IntPtr NativeRealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    static extern void Free(IntPtr pointer);

    /// <summary>The folder's path with every symbolic link resolved (the same for every way of reaching it).</summary>
    static string RealPath(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return Path.GetFullPath(folder);
        var pointer = NativeRealPath(folder, IntPtr.Zero);
        if (pointer == IntPtr.Zero) return Path.GetFullPath(folder);   // a dangling link: listed as what it says
        try { return Marshal.PtrToStringUTF8(pointer)!; }
        finally { Free(pointer); }
    }
}
