using System.ComponentModel;

namespace SdAE.Host.Config;

public enum AxisScale
{
    Log,
    Linear,
}

/// <summary>How a run's pictures are drawn (`figures:`); nothing here changes training.</summary>
public sealed class FigureOptions
{
    [Description("The loss axis of pretraining.png: log (the first epoch's fall and the later slope both visible) or linear.")]
    public AxisScale LossScale { get; set; } = AxisScale.Log;
}
