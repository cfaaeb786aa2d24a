using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Options;
using SdAE.Abstractions.Targets;
using SdAE.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

public sealed class IJepaOptions : IValidatableOptions
{
    [Range(4, 4096), Description("The predictor's width, a multiple of 4 and of its heads (I-JEPA: 384 for ViT-H's 1280).")]
    public int PredictorWidth { get; set; } = 32;

    [Range(1, 64), Description("The predictor's blocks (I-JEPA: 12 for ViT-H).")]
    public int PredictorDepth { get; set; } = 2;

    [Range(1, 64), Description("The predictor's attention heads.")]
    public int PredictorHeads { get; set; } = 2;

    [Range(0.5, 16.0), Description("The predictor's MLP hidden width as a multiple of its width.")]
    public double PredictorMlpRatio { get; set; } = 4.0;

    [Range(0.0, 1.0), Description("EMA momentum of the target encoder [start, end], linear over training, updated every step (I-JEPA: 0.996 -> 1.0).")]
    public double[] Momentum { get; set; } = [0.996, 1.0];

    public IEnumerable<OptionError> Validate()
    {
        if (Momentum.Length != 2) yield return new("momentum", "needs two values [start, end], e.g. [0.996, 1.0].");
        if (PredictorWidth % 4 != 0 || PredictorWidth % PredictorHeads != 0)
            yield return new("predictor_width", $"{PredictorWidth} must divide by 4 (its sin-cos positions) and by predictor_heads {PredictorHeads}.");
    }
}

/// <summary>
/// I-JEPA's target (plugin `ijepa`, Assran et al. 2023), which owns its predictor and its target
/// encoder: the target encoder (an EMA of the student, a copy at the start) encodes the whole image,
/// and its patch outputs, layer-normalised over features, are the targets; the student encodes the
/// context (the plan's visible patches); the predictor (<see cref="IJepaPredictor"/>) predicts, from
/// the context, the targets of each of the plan's target groups on its own; loss: the squared error
/// per token, averaged over features and over every group's patches. No pixels are predicted. Pair
/// with `ijepa_blocks` masking, whose plans carry the target groups. The student's cls token is
/// encoded (this framework's backbones have one; I-JEPA's have none) but not given to the predictor.
/// </summary>
[UsesEncoderInput(EncoderInput.ContextTokens)]
public sealed class IJepaTarget(IJepaOptions options) : IReconstructionTarget, ITeacherProvider
{
    EmaTeacher? teacher;
    IJepaPredictor? predictor;

    public EncoderModule Teacher => (teacher ?? throw new InvalidOperationException("the target is not attached to a student yet")).Encoder;
    public IJepaPredictor Predictor => predictor ?? throw new InvalidOperationException("the target is not attached to a student yet");
    public nn.Module TrainableModule => Predictor;
    public nn.Module StateModule => Teacher;

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        teacher = new EmaTeacher(student);
        teacher.Update(0.0);
        predictor = new IJepaPredictor(student.Width, student.Grid, options.PredictorWidth, options.PredictorDepth, options.PredictorHeads, options.PredictorMlpRatio);
    }

    /// <summary>The target encoder's patch outputs for the whole images, layer-normalised over features: [B, L, D].</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        using var _ = no_grad();
        var patches = MixedPrecision.Full(Teacher.EncodeAll(images)).narrow(1, 1, plan.Grid.Count);
        return nn.functional.layer_norm(patches, [patches.shape[2]]);
    }

    /// <summary>prediction: the student's output for the context, [B, 1+Nv, D].</summary>
    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        if (plan.TargetGroups is null)
            throw new ArgumentException("it predicts target blocks, and the masking strategy's plan has none; use masking: { type: ijepa_blocks }.");
        var (ids, members) = plan.GroupIds();
        long batch = ids.shape[0], groups = ids.shape[1], count = ids.shape[2];
        var context = prediction.narrow(1, 1, prediction.shape[1] - 1);
        var predicted = MixedPrecision.Full(Predictor.Predict(context, plan.VisibleIds!, ids, members));
        var wanted = EncoderModule.GatherTokens(targets, ids.reshape(batch, groups * count)).reshape(batch, groups, count, -1);
        var error = (predicted - wanted).square().mean([-1]);
        var weights = members.to(error.dtype);
        return new TargetLoss((error * weights).sum() / weights.sum());
    }

    /// <summary>Linear from <see cref="IJepaOptions.Momentum"/>'s start at step 0 to its end at the last step.</summary>
    public double MomentumAt(long step, long total) => options.Momentum[0] + (options.Momentum[1] - options.Momentum[0]) * step / Math.Max(1, total);

    public void AfterStep(TrainingProgress progress) => teacher!.Update(MomentumAt(progress.CompletedSteps, progress.TotalSteps));

    public void Dispose()
    {
        predictor?.Dispose();
        teacher?.Dispose();
    }
}
