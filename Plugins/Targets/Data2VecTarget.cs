using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SdAE.Training;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Options;
using SdAE.Abstractions.Targets;
using TorchSharp;
using static TorchSharp.torch;

namespace SdAE.Plugins.Targets;

public sealed class Data2VecOptions : IValidatableOptions
{
    [Range(1, 64), Description("Teacher blocks averaged into the target: the top K, at most the backbone's depth (data2vec 2.0: 10 of 12 in ViT-B).")]
    public int TopK { get; set; } = 2;

    [Range(1, 64), Description("Masked versions of each image per step, all predicting the one teacher pass (data2vec 2.0: 16 for ViT-B).")]
    public int MasksPerImage { get; set; } = 4;

    [Range(0.0, 1.0), Description("EMA momentum [start, end], cosine over training, updated every step (data2vec 2.0: 0.9998 -> 0.99999 over 400k+ steps).")]
    public double[] Momentum { get; set; } = [0.999, 0.9999];

    public IEnumerable<OptionError> Validate()
    {
        if (Momentum.Length != 2) yield return new("momentum", "needs two values [start, end], e.g. [0.999, 0.9999].");
    }
}

/// <summary>
/// data2vec 2.0's target (plugin `data2vec`, Baevski et al. 2023): an EMA teacher (a copy of the
/// student at the start) encodes the whole, unmasked image once; the patch tokens after each of its
/// top K blocks (as the backbone's dense features give them: the last after the final norm) are
/// instance-normalised per channel over the tokens and averaged into each token's target; the
/// student, from each of several masked versions of the image, predicts the targets of its masked
/// patches through the decoder (data2vec 2.0's is `conv_decoder`); loss: the squared error per token
/// averaged over features and over masked patches. Pair with `inverse_block` masking.
/// </summary>
public sealed class Data2VecTarget(Data2VecOptions options) : IReconstructionTarget, ITeacherProvider
{
    EmaTeacher? teacher;

    public EncoderModule Teacher => (teacher ?? throw new InvalidOperationException("the target is not attached to a student yet")).Encoder;
    public nn.Module StateModule => Teacher;
    public int MasksPerImage => options.MasksPerImage;

    public int PredictionWidth(EncoderModule student) => student.Width;

    public void Attach(EncoderModule student)
    {
        if (!student.HasDenseFeatures)
            throw new ArgumentException($"data2vec reads the teacher's blocks, and backbone {student.GetType().Name} gives no per-block features; use the vit backbone.");
        if (options.TopK > student.Depth)
            throw new ArgumentException($"target.top_k {options.TopK} is more than the backbone's {student.Depth} blocks; choose at most {student.Depth}.");
        teacher = new EmaTeacher(student);
        teacher.Update(0.0);
    }

    /// <summary>The teacher's target per token, [B, L, D]: the mean over the top K blocks of each block's tokens normalised per channel over the tokens.</summary>
    public Tensor TeacherTargets(Tensor images)
    {
        using var _ = no_grad();
        int depth = Teacher.Depth;
        var blocks = Enumerable.Range(depth - options.TopK, options.TopK).ToList();
        var normalised = Teacher.DenseFeatures(images, blocks)
            .Select(map => MixedPrecision.Full(map).flatten(2))   // [B, D, L]
            .Select(tokens => (tokens - tokens.mean([-1], keepdim: true)) / (tokens.var(-1, unbiased: false, keepdim: true) + 1e-5).sqrt());
        return stack(normalised.ToList()).mean([0]).transpose(1, 2);
    }

    /// <summary>The teacher runs once on the B images; its targets serve every mask of an image (the plan's M rows per image).</summary>
    public Tensor ComputeTargets(Tensor images, MaskPlan plan)
    {
        var targets = TeacherTargets(images);
        return plan.MasksPerImage == 1 ? targets : targets.repeat_interleave(plan.MasksPerImage, 0);
    }

    public TargetLoss Loss(Tensor prediction, Tensor targets, MaskPlan plan) =>
        new(PixelTarget.MaskedMean((MixedPrecision.Full(prediction) - targets).square().mean([-1]), plan.Mask));

    public void AfterStep(TrainingProgress progress) =>
        teacher!.Update(EmaTeacher.MomentumAt(options.Momentum[0], options.Momentum[1], progress.CompletedSteps - 1, progress.TotalSteps));

    public void Dispose() => teacher?.Dispose();
}
