using SdAE.Abstractions.Randomness;
using System.Reflection;
using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Models;
using SdAE.Abstractions.Plugins;
using SdAE.Abstractions.Targets;
using SdAE.Training;
using SdAE.Training.Distributed;
using SdAE.Host.Config;
using SdAE.Host.Plugins;
using SdAE.Host.Runs;
using TorchSharp;
using TorchSharp.Modules;
using AdamW = SdAE.Training.AdamW;
using static TorchSharp.torch;

namespace SdAE.Host.Engine;

/// <summary>One forward pass's outputs: per-patch predictions and the target's loss.</summary>
public sealed record StepOutput(Tensor Prediction, TargetLoss Loss);

/// <summary>
/// The student (encoder + decoder, or encoder alone in mask-token mode), the masking strategy and
/// the target, composed from an experiment's plugins.
/// </summary>
public sealed class PretrainingModel : IDisposable
{
    PretrainingModel(EncoderModule encoder, DecoderModule? decoder, IMaskingStrategy masking, IReconstructionTarget target, EncoderInput input)
    {
        Encoder = encoder;
        Decoder = decoder;
        Masking = masking;
        Target = target;
        Input = input;
    }

    public EncoderModule Encoder { get; }
    public DecoderModule? Decoder { get; }
    public IMaskingStrategy Masking { get; }
    public IReconstructionTarget Target { get; }
    public EncoderInput Input { get; }

    public static PretrainingModel Build(Experiment experiment, PluginCatalog catalog, PluginContext context)
    {
        Seeding.SeedDefaultGenerators(experiment.Seed);
        var encoder = Create<EncoderModule>(catalog, experiment.Backbone!, context);
        if (experiment.Backbone!.Section is BackboneSection { InitFrom.Length: > 0 } init)
            context.Progress.Info(ImportWeights(encoder, experiment.Backbone, init));
        var masking = Create<IMaskingStrategy>(catalog, experiment.Masking!, context);
        var target = Create<IReconstructionTarget>(catalog, experiment.Target!, context);
        var input = UsesEncoderInputAttribute.Of(target.GetType());
        if (input != EncoderInput.MaskTokens && !masking.ProducesIds)
            throw new UserError($"masking '{experiment.Masking!.Type}' masks a different number of patches per image, which target '{experiment.Target!.Type}' (visible tokens only) cannot use.",
                $"use a masking strategy that hides the same number of patches in every image, or a mask-token target ({PluginHints.Names(catalog.TargetsWith(EncoderInput.MaskTokens))}).");

        if (input == EncoderInput.MaskTokens && !encoder.HasMaskToken)
            throw new UserError($"target '{experiment.Target!.Type}' replaces masked patches with the encoder's mask token, but backbone '{experiment.Backbone!.Type}' has none.",
                "use a backbone with a mask token (for the in-tree vit: mask_token: true).");
        DecoderModule? decoder = null;
        experiment.Target!.Guard(() => target.Attach(encoder));   // options checked against the backbone (data2vec's top_k) fail at the target's line
        if (masking is IGuidedMasking && (target as ITeacherProvider)?.Teacher.HasClsAttention != true)
            throw new UserError($"masking '{experiment.Masking!.Type}' is guided by a teacher's [CLS] attention, and target '{experiment.Target!.Type}' with backbone '{experiment.Backbone!.Type}' gives none.",
                "use a target with a teacher (teacher_latent, data2vec) and the vit backbone, or an unguided masking strategy.");
        if (input == EncoderInput.VisibleTokens)
        {
            var builder = Create<IDecoderBuilder>(catalog, experiment.Decoder!, context);
            decoder = experiment.Decoder!.Guard(() => builder.Build(new DecoderShape(encoder.Width, encoder.Grid, target.PredictionWidth(encoder))));
        }
        var model = new PretrainingModel(encoder, decoder, masking, target, input);
        model.MoveTo(context.Device);
        return model;
    }

    static string ImportWeights(EncoderModule encoder, PluginSpec backbone, BackboneSection init)
    {
        try
        {
            return SdAE.Training.Interop.EncoderWeights.Import(encoder, init.InitFrom, init.InitStrict);
        }
        catch (SdAE.Training.Interop.WeightsFileException e)
        {
            encoder.Dispose();
            throw new ExperimentError(backbone.File, backbone.Line, 1, $"backbone.init_from: {e.Message}", null);
        }
    }

    static T Create<T>(PluginCatalog catalog, PluginSpec spec, PluginContext context) where T : class =>
        spec.Guard(() => catalog.Create<T>(spec.Type, spec.Options, context));

    /// <summary>
    /// One mask plan and one forward pass of the target's loss on a blank image, in eval mode and
    /// without gradients, so options that only fail when used (a ratio that leaves no patch
    /// visible, more folds than masked patches) fail here, at their section, before a run starts.
    /// Uses its own generator; training re-seeds every epoch, so this changes nothing it draws.
    /// </summary>
    public void Check(Experiment experiment, PluginContext context)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var generator = new Generator(0);
        var image = zeros(1, context.Channels, context.ImageSize, context.ImageSize, device: context.Device);
        var plan = experiment.Masking!.Guard(() => SamplePlan(1, generator, image).To(context.Device));
        Train(false);
        try
        {
            var loss = experiment.Target!.Guard(() => Forward(image, plan).Loss.Loss);
            if (!float.IsFinite(loss.item<float>()))
                throw new ExperimentError(experiment.Target.File, experiment.Target.Line, 1, $"target '{experiment.Target.Type}' gives a non-finite loss on a blank image before any training.", "check the target's options.");
        }
        finally
        {
            Train(true);
        }
    }

    void MoveTo(Device device)
    {
        Encoder.to(device);
        Decoder?.to(device);
        Target.TrainableModule?.to(device);
        Target.StateModule?.to(device);
    }

    /// <summary>
    /// A mask plan for <paramref name="images"/> images: the target's masks per image each (rows
    /// image-major). A guided masking strategy is given the teacher's [CLS] attention on
    /// <paramref name="batch"/> (those images; one process only, see <see cref="Guide"/>).
    /// </summary>
    public MaskPlan SamplePlan(int images, Generator generator, Tensor? batch = null)
    {
        int masks = Target.MasksPerImage;
        var plan = Masking is IGuidedMasking guided && batch is not null
            ? guided.Sample(images * masks, Encoder.Grid, generator, Guide(batch).repeat_interleave(masks, 0))
            : Masking.Sample(images * masks, Encoder.Grid, generator);
        return masks == 1 ? plan : plan.WithMasksPerImage(masks);
    }

    /// <summary>The target's teacher's [CLS] attention to each patch of <paramref name="images"/>, [B, L] on the CPU: without gradients, in eval mode.</summary>
    public Tensor Guide(Tensor images)
    {
        var teacher = ((ITeacherProvider)Target).Teacher;
        bool training = teacher.training;
        using var _ = no_grad();
        teacher.eval();
        try
        {
            return teacher.ClsAttention(images).cpu();
        }
        finally
        {
            teacher.train(training);
        }
    }

    /// <summary>
    /// The prediction and the loss of a masked batch (for a target with its own predictor, the
    /// prediction is the encoder's output for the visible tokens); the target sees the decoder's
    /// <see cref="DecoderModule.PredictedPlan"/> (the patches predicted). With several masks per image
    /// the student sees each image once per plan row and the target the images once.
    /// </summary>
    public StepOutput Forward(Tensor images, MaskPlan plan)
    {
        var predicted = Input == EncoderInput.VisibleTokens ? Decoder!.PredictedPlan(plan) : plan;
        var targets = Target.ComputeTargets(images, predicted);
        var studentImages = plan.MasksPerImage == 1 ? images : images.repeat_interleave(plan.MasksPerImage, 0);
        var prediction = Input switch
        {
            EncoderInput.VisibleTokens => Decoder!.Decode(Encoder.EncodeVisible(studentImages, plan.VisibleIds!), plan.RestoreIds!),
            EncoderInput.ContextTokens => Encoder.EncodeVisible(studentImages, plan.VisibleIds!),
            _ => Encoder.EncodeWithMaskToken(studentImages, plan.Mask).narrow(1, 1, plan.Grid.Count),
        };
        return new StepOutput(prediction, Target.Loss(prediction, targets, predicted));
    }

    /// <summary>
    /// The first <paramref name="count"/> images of <paramref name="images"/> on the device and a
    /// mask drawn for them from <paramref name="stream"/>: the same batch and mask every time
    /// (pictures, diagnostics). Tensors live in the caller's dispose scope.
    /// </summary>
    public (Tensor Images, MaskPlan Plan) FixedBatch(SdAE.Abstractions.Data.IImageDataset images, int count, int seed, RandomStream stream, Device device)
    {
        using var generator = Seeding.Generator(seed, stream);
        var batch = HostToDevice.Copy(images.Images(arange(count, dtype: ScalarType.Int64)), device);
        return (batch, SamplePlan(count, generator, batch).To(device));
    }

    /// <summary>The encoder an evaluation asks for: the student, or the target's teacher.</summary>
    public EncoderModule EncoderFor(PluginSpec head) =>
        head.Encoder == EvalEncoder.Teacher ? ((ITeacherProvider)Target).Teacher : Encoder;

    /// <summary>
    /// One optimisation step on a masked batch: forward (in <paramref name="computeType"/> under
    /// autocast when given), backward, optional gradient clipping, optimizer update at <paramref name="lr"/>,
    /// then the target's own step (an EMA teacher's update) at <paramref name="progress"/>. With
    /// <paramref name="gradients"/> (data parallel), the gradients are averaged over the ranks before
    /// clipping, so every rank clips and steps alike. The training loop and the benchmarks share it,
    /// so benchmarks time exactly what training runs.
    /// </summary>
    public StepOutput TrainStep(Tensor images, MaskPlan plan, IParameterOptimizer optimizer, double lr, ScalarType? computeType, double clipGrad, TrainingProgress progress,
        GradientAveraging? gradients = null, int accumulate = 1)
    {
        optimizer.ZeroGrad();
        StepOutput output;
        if (accumulate == 1)
        {
            using (MixedPrecision.Autocast(computeType)) output = Forward(images, plan);
            output.Loss.Loss.backward();
        }
        else output = AccumulatedBackward(images, plan, computeType, accumulate);
        gradients?.Average(optimizer);
        if (clipGrad > 0) optimizer.ClipGradNorm(clipGrad);
        optimizer.Step(lr);
        Target.AfterStep(progress);
        return output;
    }

    /// <summary>
    /// Gradient accumulation: the batch as <paramref name="accumulate"/> equal micro-batches (their rows of the
    /// plan), each forward and backward in its own dispose scope with its loss divided by their number, so
    /// the summed gradients are the whole batch's (for targets whose loss is a mean over equal-sized images'
    /// terms) and only one micro-batch's activations are alive at a time. The loss and metrics reported are
    /// the micro-batches' means; the prediction is the last micro-batch's.
    /// </summary>
    StepOutput AccumulatedBackward(Tensor images, MaskPlan plan, ScalarType? computeType, int accumulate)
    {
        long micro = images.shape[0] / accumulate;
        var losses = new List<Tensor>();
        var metrics = new Dictionary<string, List<Tensor>>();
        Tensor? prediction = null;
        for (int k = 0; k < accumulate; k++)
        {
            using var scope = NewDisposeScope();
            StepOutput part;
            using (MixedPrecision.Autocast(computeType)) part = Forward(images.narrow(0, k * micro, micro), plan.Rows(k * micro, micro));
            (part.Loss.Loss / accumulate).backward();
            losses.Add(part.Loss.Loss.detach().to(ScalarType.Float32).MoveToOuterDisposeScope());
            foreach (var (name, value) in part.Loss.Metrics ?? new Dictionary<string, Tensor>())
                (metrics.TryGetValue(name, out var list) ? list : metrics[name] = []).Add(value.detach().to(ScalarType.Float32).MoveToOuterDisposeScope());
            if (k == accumulate - 1) prediction = part.Prediction.detach().MoveToOuterDisposeScope();
        }
        return new StepOutput(prediction!, new TargetLoss(stack(losses).mean())
        {
            Metrics = metrics.ToDictionary(m => m.Key, m => stack(m.Value).mean()),
        });
    }

    public void Train(bool training)
    {
        Encoder.train(training);
        Decoder?.train(training);
        Target.TrainableModule?.train(training);
    }

    /// <summary>Everything the optimizer updates, with stable names.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> TrainableParameters() =>
        Prefixed("encoder.", Encoder.named_parameters())
            .Concat(Decoder is null ? [] : Prefixed("decoder.", Decoder.named_parameters()))
            .Concat(Target.TrainableModule is { } head ? Prefixed("target.", head.named_parameters()) : []);

    /// <summary>AdamW over the trainable parameters (the decay exemptions <c>no_decay</c> names), per tensor or over one flat buffer.</summary>
    public IParameterOptimizer CreateOptimizer(PretrainOptions pretrain)
    {
        var groups = DecayGroups(TrainableParameters(), pretrain.WeightDecay, pretrain.NoDecay);
        return pretrain.Optimizer == OptimizerKind.FlatAdamw
            ? new FlatAdamW(groups, pretrain.Betas[0], pretrain.Betas[1], layout: TrainableParameters().Select(p => p.Parameter))
            : new AdamW(groups, pretrain.Betas[0], pretrain.Betas[1]);
    }

    /// <summary>A decayed group and an exempt one, in the parameters' order within each.</summary>
    public static IReadOnlyList<ParameterGroup> DecayGroups(IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay, NoDecay noDecay)
    {
        if (noDecay == NoDecay.VectorsAndTokens) return AdamW.DecayGroups(parameters, weightDecay);
        var exempt = parameters.Where(p => p.Parameter.requires_grad).ToLookup(p => p.Parameter.dim() <= 1 || p.Name.EndsWith(".bias", StringComparison.Ordinal));
        return [new ParameterGroup(exempt[false].ToList(), weightDecay), new ParameterGroup(exempt[true].ToList(), 0.0)];
    }

    /// <summary>What a checkpoint holds: the model's tensors, the optimizer's state and the generators' states (mid-epoch resume).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> CheckpointTensors(IParameterOptimizer optimizer, GeneratorStates generators) =>
        StateTensors().Concat(optimizer.State.Select(s => ("optimizer." + s.Name, s.Tensor))).Concat(generators.Entries);

    /// <summary>
    /// Loads a run's latest usable checkpoint into this model to read it (evaluation, export): the
    /// weights and target state; the optimizer moments and generator states it also holds are dropped.
    /// </summary>
    public (CheckpointHeader Header, string From) LoadWeights(RunFolder folder, PretrainOptions pretrain, Action<string> warn)
    {
        using var optimizer = CreateOptimizer(pretrain);
        using var generators = new GeneratorStates();
        return Checkpoint.LoadLatest(folder.CheckpointPath, folder.PreviousCheckpointPath, () => CheckpointTensors(optimizer, generators), warn);
    }

    /// <summary>Every tensor a checkpoint holds for the model (parameters and persistent buffers, teacher included).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors()
    {
        IEnumerable<(string, Tensor)> Of(string prefix, nn.Module? module) =>
            module is null ? [] : module.state_dict().Select(pair => (prefix + pair.Key, pair.Value));
        return Of("encoder.", Encoder).Concat(Of("decoder.", Decoder))
            .Concat(Of("target.", Target.TrainableModule)).Concat(Of("target_state.", Target.StateModule));
    }

    static IEnumerable<(string, Parameter)> Prefixed(string prefix, IEnumerable<(string name, Parameter parameter)> parameters) =>
        parameters.Select(p => (prefix + p.name, p.parameter));

    public void Dispose()
    {
        Target.Dispose();
        Decoder?.Dispose();
        Encoder.Dispose();
    }
}
