namespace SdAE.Training;

/// <summary>Linear warm-up from 0 to <see cref="Peak"/>, then half-cosine down to <see cref="Min"/>, per iteration.</summary>
public sealed record LearningRateSchedule(double Peak, double Min, long WarmupSteps, long TotalSteps)
{
    public double At(long step)
    {
        if (step < WarmupSteps) return Peak * step / WarmupSteps;
        if (TotalSteps <= WarmupSteps) return Peak;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return Min + (Peak - Min) * 0.5 * (1.0 + Math.Cos(Math.PI * progress));
    }

    /// <summary>Peak lr from a base lr and the batch size: base x batch / 256 (MAE's scaling rule).</summary>
    public static double ScaledPeak(double baseLr, int batch) => baseLr * batch / 256.0;
}
