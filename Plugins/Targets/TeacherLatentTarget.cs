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
    /// <summary>Cosine along the token axis, as the reference code's multi-fold path computes it.</summary>
    Token,
}

public sealed class TeacherLatentOptions : IValidatableOptions
{
    [Range(0.0, 1.0), Description("EMA momentum [start, end], cosine over training.")]
    public double[] Momentum { get; set; } = [0.96, 0.99];

    [Description("When the teacher is updated: epoch (reference) or iteration.")]
    public TeacherUpdate Update { get; set; } = TeacherUpdate.Epoch;

    [Description("Start the teacher as a copy of the student; the reference starts it from its own random init.")]
    public bool InitFromStudent { get; set; }

    [Description("Axis of the cosine in the loss: feature (default) or token (reproduces the reference code).")]
    public CosineAxis CosineAxis { get; set; } = CosineAxis.Feature;

    public IEnumerable<OptionError> Validate()
    {
        if (Momentum.Length != 2) yield return new("momentum", "needs two values [start, end], e.g. [0.96, 0.99].");
    }
}

/// <summary>
/// SdAE's target (plugin `teacher_latent`): an EMA teacher encoder of the student's shape encodes
/// each fold of masked patches as its own short sequence (all folds in one batched pass); its
/// final-norm output, standardised per token, is what the student's decoder must predict for those
/// patches. Loss: 1 - cosine similarity, masked tokens only.
/// </summary>
public sealed class TeacherLatentTarget(TeacherLatentOptions options) : IReconstructionTarget, ITeacherProvider
{
    EncoderModule? student;
    EncoderModule? teacher;

    public EncoderModule Teacher => teacher ?? throw new InvalidOperationException("the target is not attached to a student yet");
    public nn.Module StateModule => Teacher;

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        this.student = student;
        teacher = student.CreateSameShape();
        teacher.eval();
        foreach (var parameter in teacher.parameters()) parameter.requires_grad = false;
        if (options.InitFromStudent) Ema(0.0);
    }

    /// <summary>The mask token is the student's own; it has no role in the teacher.</summary>
    public static bool IsExcludedFromEma(string name) => name.Contains("mask_token", StringComparison.Ordinal);

    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        var folds = plan.Folds ?? throw new ArgumentException("teacher_latent needs the folds of a multi-fold mask plan, and this masking gives none: use masking type multi_fold.");
        using var _ = no_grad();
        long batch = folds.shape[0], foldCount = folds.shape[1], foldSize = folds.shape[2];
        var tokens = Teacher.EmbedPatches(images);
        var views = EncoderModule.GatherTokens(tokens, folds.reshape(batch, foldCount * foldSize))
            .reshape(batch * foldCount, foldSize, tokens.shape[2]);
        var encoded = Teacher.EncodeTokens(views).narrow(1, 1, foldSize);
        return Standardise(MixedPrecision.Full(encoded)).reshape(batch, foldCount * foldSize, tokens.shape[2]);
    }

    /// <summary>Parameter-free per-token standardisation over the feature axis, eps 1e-6.</summary>
    public static Tensor Standardise(Tensor features) =>
        nn.functional.layer_norm(features, [features.shape[^1]], eps: 1e-6);

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan)
    {
        var ids = plan.Folds!.reshape(plan.Folds.shape[0], -1);
        var predicted = EncoderModule.GatherTokens(MixedPrecision.Full(prediction), ids);
        return new TargetLoss(CosineLoss(predicted, targets, options.CosineAxis));
    }

    /// <summary>1 - cosine similarity, averaged; over the feature axis, or the token axis as the reference code does.</summary>
    public static Tensor CosineLoss(Tensor predicted, Tensor targets, CosineAxis axis) =>
        (1 - nn.functional.cosine_similarity(predicted, targets, dim: axis == CosineAxis.Feature ? -1 : 1)).mean();

    /// <summary>Cosine schedule from momentum[0] at i = 0 to momentum[1] at i = total.</summary>
    public double MomentumAt(long i, long total)
    {
        double start = options.Momentum[0], end = options.Momentum[1];
        return end + 0.5 * (start - end) * (1 + Math.Cos(Math.PI * i / Math.Max(1, total)));
    }

    /// <summary>
    /// teacher = m * teacher + (1 - m) * student, in place, for every encoder parameter. The teacher's
    /// parameters are kept back to back in one buffer; when the student's lie back to back too (the
    /// flat optimizer lays them out so), the update is two operations for the whole encoder.
    /// </summary>
    public void Ema(double momentum)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (teacherTensors, studentTensors) = EmaTensors();
        var teacherSpan = FlatLayout.SpanOf(teacherTensors) ?? FlatLayout.Flatten(teacherTensors);
        if (FlatLayout.SpanOf(studentTensors) is { } studentSpan)
            teacherSpan.mul_(momentum).add_(studentSpan, alpha: 1 - momentum);
        else
            for (int i = 0; i < teacherTensors.Count; i++)
                teacherTensors[i].mul_(momentum).add_(studentTensors[i], alpha: 1 - momentum);
    }

    (List<Tensor> Teacher, List<Tensor> Student)? emaTensors;

    /// <summary>
    /// The teacher's EMA parameters and the student's of the same names, in the teacher's order.
    /// Kept between steps (looking them up by name costs about 1 ms for a ViT); moving a module to
    /// another device or type disposes its old parameter tensors, which is how a stale list shows.
    /// </summary>
    (List<Tensor> Teacher, List<Tensor> Student) EmaTensors()
    {
        if (emaTensors is { } cached && !cached.Teacher.Concat(cached.Student).Any(t => t.IsInvalid)) return cached;
        var studentParameters = student!.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var names = Teacher.named_parameters().Where(p => !IsExcludedFromEma(p.name)).ToList();
        emaTensors = (names.Select(p => (Tensor)p.parameter).ToList(), names.Select(p => studentParameters[p.name]).ToList());
        return emaTensors.Value;
    }

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
