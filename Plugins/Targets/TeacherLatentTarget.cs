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

public enum TeacherUpdate
{
    /// <summary>Once per epoch (the reference).</summary>
    Epoch,
    /// <summary>After every optimisation step.</summary>
    Iteration,
}

public enum CosineAxis
{
    /// <summary>Cosine between each predicted and target token vector (the method as described).</summary>
    Feature,
    /// <summary>Cosine along the token axis within each fold, per channel, as the reference code computes it.</summary>
    Token,
}

public enum TeacherView
{
    /// <summary>Each fold of masked patches is its own teacher sequence (SdAE's multi-fold views).</summary>
    Folds,
    /// <summary>All the folds' masked patches in one teacher sequence.</summary>
    Masked,
    /// <summary>The teacher encodes the whole image; targets are read at the masked positions.</summary>
    Full,
}

public enum TeacherInit
{
    /// <summary>The backbone's own initialisation, drawn independently of the student's.</summary>
    Encoder,
    /// <summary>A copy of the student.</summary>
    Student,
    /// <summary>The reference code's teacher: timm's ViT initialisation with a position table the EMA moves.</summary>
    Reference,
}

public sealed class TeacherLatentOptions : IValidatableOptions
{
    [Range(0.0, 1.0), Description("EMA momentum [start, end], cosine over training.")]
    public double[] Momentum { get; set; } = [0.96, 0.99];

    [Description("When the teacher is updated: epoch (reference) or iteration.")]
    public TeacherUpdate Update { get; set; } = TeacherUpdate.Epoch;

    [Description("The teacher's start: encoder (the backbone's init, its own draw), student (a copy) or reference (timm's init, a position table the EMA moves, as the reference code).")]
    public TeacherInit TeacherInit { get; set; } = TeacherInit.Encoder;

    [Description("What the teacher sees: folds (each fold of masked patches its own sequence), masked (all of them in one) or full (the whole image, read at the masked positions).")]
    public TeacherView TeacherView { get; set; } = TeacherView.Folds;

    [Description("Axis of the cosine in the loss: feature (the method as described) or token (within each fold, as the reference code).")]
    public CosineAxis CosineAxis { get; set; } = CosineAxis.Feature;

    public IEnumerable<OptionError> Validate()
    {
        if (Momentum.Length != 2) yield return new("momentum", "needs two values [start, end], e.g. [0.96, 0.99].");
    }
}

/// <summary>
/// SdAE's target (plugin `teacher_latent`): an EMA teacher encoder of the student's shape encodes
/// each fold of masked patches as its own short sequence (all folds in one batched pass; or, by
/// teacher_view, all folds in one sequence or the whole image); its final-norm output, standardised
/// per token, is what the student's decoder must predict for those patches. Loss: 1 - cosine
/// similarity, over the fold ids' tokens only.
/// </summary>
public sealed class TeacherLatentTarget(TeacherLatentOptions options) : IReconstructionTarget, ITeacherProvider
{
    EmaTeacher? teacher;

    public EncoderModule Teacher => (teacher ?? throw new InvalidOperationException("the target is not attached to a student yet")).Encoder;
    public nn.Module StateModule => Teacher;

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        teacher = new EmaTeacher(student);
        if (options.TeacherInit == TeacherInit.Student) Ema(0.0);
        if (options.TeacherInit == TeacherInit.Reference) teacher.AlsoMove(ReferenceTeacherInit.Apply(teacher.Encoder));
    }

    /// <summary>The mask token is the student's own; it has no role in the teacher.</summary>
    public static bool IsExcludedFromEma(string name) => EmaTeacher.IsExcludedFromEma(name);

    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        var folds = FoldIds(plan);
        using var _ = no_grad();
        long batch = folds.shape[0], foldCount = folds.shape[1], foldSize = folds.shape[2], used = foldCount * foldSize;
        var tokens = Teacher.EmbedPatches(images);
        var ids = folds.reshape(batch, used);
        var encoded = options.TeacherView switch
        {
            TeacherView.Folds => Teacher.EncodeTokens(EncoderModule.GatherTokens(tokens, ids).reshape(batch * foldCount, foldSize, tokens.shape[2])).narrow(1, 1, foldSize),
            TeacherView.Masked => Teacher.EncodeTokens(EncoderModule.GatherTokens(tokens, ids)).narrow(1, 1, used),
            _ => EncoderModule.GatherTokens(Teacher.EncodeTokens(tokens).narrow(1, 1, tokens.shape[1]), ids),
        };
        return Standardise(MixedPrecision.Full(encoded)).reshape(batch, used, tokens.shape[2]);
    }

    /// <summary>
    /// The masked ids the loss covers, [B, K, n]: the plan's folds; with the masked or full teacher
    /// view, a plan without folds gives all its masked ids as one fold.
    /// </summary>
    Tensor FoldIds(MaskPlan plan)
    {
        if (plan.Folds is { } folds) return folds;
        if (options.TeacherView == TeacherView.Folds)
            throw new ArgumentException("teacher_latent's folds teacher view needs the folds of a multi-fold mask plan, and this masking gives none: use masking type multi_fold, or teacher_view masked or full.");
        return (plan.MaskedIds ?? throw new ArgumentException("teacher_latent needs masked patch ids, and this masking gives only a mask: use masking type multi_fold or random.")).unsqueeze(1);
    }

    /// <summary>Parameter-free per-token standardisation over the feature axis, eps 1e-6.</summary>
    public static Tensor Standardise(Tensor features) =>
        nn.functional.layer_norm(features, [features.shape[^1]], eps: 1e-6);

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var folds = FoldIds(plan);
        var predicted = EncoderModule.GatherTokens(MixedPrecision.Full(prediction), folds.reshape(folds.shape[0], -1));
        return new TargetLoss(CosineLoss(predicted, targets, options.CosineAxis, (int)folds.shape[1]));
    }

    /// <summary>
    /// 1 - cosine similarity, averaged, between [B, K*n, D] predictions and targets: per token over
    /// the feature axis, or (token) per fold and channel over the fold's n tokens, as the reference
    /// code's [B*K, n, D] tensors give.
    /// </summary>
    public static Tensor CosineLoss(Tensor predicted, Tensor targets, CosineAxis axis, int folds)
    {
        if (axis == CosineAxis.Feature) return (1 - nn.functional.cosine_similarity(predicted, targets, dim: -1)).mean();
        long rows = predicted.shape[0] * folds, width = predicted.shape[2];
        return (1 - nn.functional.cosine_similarity(predicted.reshape(rows, -1, width), targets.reshape(rows, -1, width), dim: 1)).mean();
    }

    /// <summary>Cosine schedule from momentum[0] at i = 0 to momentum[1] at i = total.</summary>
    public double MomentumAt(long i, long total) => EmaTeacher.MomentumAt(options.Momentum[0], options.Momentum[1], i, total);

    /// <summary>teacher = m * teacher + (1 - m) * student, in place, for every encoder parameter.</summary>
    public void Ema(double momentum) => teacher!.Update(momentum);

    public void AfterStep(TrainingProgress progress)
    {
        if (options.Update == TeacherUpdate.Iteration) Ema(MomentumAt(progress.CompletedSteps - 1, progress.TotalSteps));
    }

    public void AfterEpoch(TrainingProgress progress)
    {
        if (options.Update == TeacherUpdate.Epoch) Ema(MomentumAt(progress.CurrentEpoch, progress.TotalEpochs));
    }

    public void Dispose() => teacher?.Dispose();
}
