using SdAE.Abstractions.Models;

namespace SdAE.Abstractions.Targets;

/// <summary>A target that owns a teacher encoder (SdAE's EMA teacher), which evaluations may use instead of the student.</summary>
public interface ITeacherProvider
{
    EncoderModule Teacher { get; }
}
