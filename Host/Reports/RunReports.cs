using SdAE.Abstractions.Plugins;
using SdAE.Host.Engine;
using SdAE.Host.Runs;

namespace SdAE.Host.Reports;

/// <summary>The pictures of a run, drawn after training or evaluation from its outcome and its folder.</summary>
public static class RunReports
{
    /// <summary>reconstruction.png (pixel targets), pretraining.png, health.png and evaluation.png, also as TensorBoard images at the run's last step; says each file it wrote.</summary>
    public static void Write(RunOutcome outcome, IProgressReporter display, Config.FigureOptions? figures = null)
    {
        var pictures = new List<string>();
        var records = outcome.Folder.Metrics.Read();
        if (outcome.Reconstruction is { } sample)
        {
            var path = outcome.Folder.File("reconstruction.png");
            ReconstructionPicture.Write(path, sample);
            display.Info($"reconstruction picture: {path}");
            pictures.Add(path);
        }
        if (outcome.Folder.HasResults)
            foreach (var picture in RunPlots.Write(outcome.Folder, records, outcome.Folder.ReadResults().Heads, figures))
            {
                display.Info($"plot: {picture}");
                pictures.Add(picture);
            }
        if (pictures.Count > 0)
            new TensorBoardLog(outcome.Folder.TensorBoardPath).WritePictures(pictures, records.LastOrDefault()?.Step ?? 0);
    }
}
