using SdAE.Abstractions.Plugins;
using SdAE.Host.Engine;

namespace SdAE.Host.Reports;

/// <summary>The pictures of a run, drawn after training or evaluation from its outcome and its folder.</summary>
public static class RunReports
{
    /// <summary>reconstruction.png (pixel targets), pretraining.png and evaluation.png; says each file it wrote.</summary>
    public static void Write(RunOutcome outcome, IProgressReporter display, Config.FigureOptions? figures = null)
    {
        if (outcome.Reconstruction is { } sample)
        {
            var path = outcome.Folder.File("reconstruction.png");
            ReconstructionPicture.Write(path, sample);
            display.Info($"reconstruction picture: {path}");
        }
        if (!outcome.Folder.HasResults) return;
        foreach (var picture in RunPlots.Write(outcome.Folder, outcome.Folder.ReadResults().Heads, figures)) display.Info($"plot: {picture}");
    }
}
