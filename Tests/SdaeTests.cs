using SdAE.Abstractions.Masking;
using SdAE.Abstractions.Plugins;
using SdAE.Training;
using SdAE.Host.Config;
using SdAE.Host.Engine;
using SdAE.Host.Runs;
using SdAE.Plugins.Backbones;
using SdAE.Plugins.Masking;
using SdAE.Plugins.Targets;
using SdAE.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static SdAE.Testing.TensorChecks;

namespace SdAE.Tests;

public class SdaeTests
{
    static VisionTransformer Student(bool maskToken = false) =>
        new(new ViTOptions { Width = 32, Depth = 2, Heads = 2, Patch = 4, MaskToken = maskToken }, new PluginContext { ImageSize = 28, Channels = 1 });

    static MaskPlan Folds(int folds, double ratio, int teacherTokens = 0, ulong seed = 0, int batch = 4)
    {
        using var generator = new Generator(seed);
        return new MultiFoldMasking(new MultiFoldMaskingOptions { Folds = folds, Ratio = ratio, TeacherTokens = teacherTokens })
            .Sample(batch, new GridSize(7, 7), generator);
    }

    [TestCase(3, 0.75, 0, 12)]   // 37 masked -> 36 used
    [TestCase(4, 0.75, 0, 9)]    // 37 masked -> 36 used
    [TestCase(2, 0.5, 10, 5)]    // capped at 10 teacher tokens
    public void FoldsAreDisjointEqualAndCoverTheUsedMaskedIds(int folds, double ratio, int teacherTokens, int foldSize)
    {
        using var scope = NewDisposeScope();
        var plan = Folds(folds, ratio, teacherTokens);
        Assert.That(plan.Folds!.shape, Is.EqualTo(new long[] { 4, folds, foldSize }));
        var used = plan.Folds.reshape(4, -1);
        // exactly the first folds*foldSize masked ids, in their random order
        Assert.That(Same(used, plan.MaskedIds!.narrow(1, 0, folds * foldSize)), Is.True);
        // disjoint: no id repeats within an image
        for (int b = 0; b < 4; b++)
            Assert.That(used[b].unique().Item1.numel(), Is.EqualTo(folds * foldSize));
        Assert.That(plan.Mask.gather(1, used).all().item<bool>(), Is.True, "fold ids are masked ids");
    }

    [Test]
    public void TooManyFoldsIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => Folds(folds: 40, ratio: 0.75));
        Assert.That(e!.Message, Does.Contain("no token per fold"));
    }

    [Test]
    public void EmaUpdatesEveryEncoderTensorAndNeverTheMaskToken()
    {
        using var scope = NewDisposeScope();
        var student = Student(maskToken: true);
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        var teacherBefore = target.Teacher.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var studentParameters = student.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        Assert.That(Same(teacherBefore["cls_token"], studentParameters["cls_token"]), Is.False, "the reference starts the teacher from its own init");

        target.Ema(0.9);
        foreach (var (name, after) in target.Teacher.named_parameters())
        {
            var expected = TeacherLatentTarget.IsExcludedFromEma(name) ? teacherBefore[name] : teacherBefore[name] * 0.9 + studentParameters[name] * 0.1;
            Assert.That(after.allclose(expected, atol: 1e-6), Is.True, name);
        }
        Assert.That(Same(target.Teacher.named_parameters().Single(p => p.name == "mask_token").parameter, teacherBefore["mask_token"]), Is.True);
    }

    [Test]
    public void EmaOverAFlatStudentIsTheSameUpdate()
    {
        using var scope = NewDisposeScope();
        var student = Student();
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        var studentTensors = student.parameters().Select(p => (Tensor)p).ToList();
        using (no_grad()) FlatLayout.Flatten(studentTensors);
        Assert.That(FlatLayout.SpanOf(studentTensors), Is.Not.Null, "the student lies back to back, as the flat optimizer lays it out");
        var teacherBefore = target.Teacher.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var studentParameters = student.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

        target.Ema(0.9);
        target.Ema(0.8);
        foreach (var (name, after) in target.Teacher.named_parameters())
        {
            var expected = (teacherBefore[name] * 0.9 + studentParameters[name] * 0.1) * 0.8 + studentParameters[name] * 0.2;
            Assert.That(after.allclose(expected, atol: 1e-6), Is.True, name);
        }
        Assert.That(FlatLayout.SpanOf(target.Teacher.parameters().Select(p => (Tensor)p).ToList()), Is.Not.Null, "the teacher is kept flat");
    }

    [Test]
    public void EmaFollowsTheStudentAfterItsParametersWereReplaced()
    {
        using var scope = NewDisposeScope();
        var student = Student();
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        target.Ema(0.9);
        student.to(ScalarType.Float64).to(ScalarType.Float32); // as a move between devices does, replaces every parameter tensor
        using (no_grad()) foreach (var parameter in student.parameters()) parameter.fill_(0.5);

        target.Ema(0.0);
        foreach (var (name, teacherParameter) in target.Teacher.named_parameters().Where(p => !TeacherLatentTarget.IsExcludedFromEma(p.name)))
            Assert.That(teacherParameter.allclose(full_like(teacherParameter, 0.5)), Is.True, name);
    }

    [Test]
    public void TeacherInitStudentCopiesTheStudent()
    {
        using var scope = NewDisposeScope();
        var student = Student();
        var target = new TeacherLatentTarget(new TeacherLatentOptions { TeacherInit = TeacherInit.Student });
        target.Attach(student);
        var studentParameters = student.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        foreach (var (name, parameter) in target.Teacher.named_parameters())
            Assert.That(Same(parameter, studentParameters[name]), Is.True, name);
    }

    [Test]
    public void TeacherGetsNoGradientsAndTargetsAreStandardisedPerToken()
    {
        using var scope = NewDisposeScope();
        var student = Student();
        var decoder = new ViTDecoder(new ViTDecoderOptions { Width = 32, Depth = 1, Heads = 2 }, new Abstractions.Models.DecoderShape(32, student.Grid, 32));
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        var plan = Folds(3, 0.75);
        var images = randn(4, 1, 28, 28);
        var targets = target.ComputeTargets(images, plan);
        Assert.That(targets.shape, Is.EqualTo(new long[] { 4, 36, 32 }));
        Assert.That(targets.mean([-1]).abs().max().item<float>(), Is.LessThan(1e-4));
        Assert.That((targets.var(-1, unbiased: false) - 1).abs().max().item<float>(), Is.LessThan(1e-3));

        var prediction = decoder.Decode(student.EncodeVisible(images, plan.VisibleIds!), plan.RestoreIds!);
        target.Loss(prediction, targets, plan).Loss.backward();
        Assert.That(target.Teacher.parameters().All(p => p.grad is null && !p.requires_grad), Is.True);
        Assert.That(student.parameters().All(p => p.grad is not null), Is.True);
    }

    [Test]
    public void FoldsAreEncodedAsSeparateSequences()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var student = Student();
        var target = new TeacherLatentTarget(new TeacherLatentOptions());
        target.Attach(student);
        var plan = Folds(3, 0.75, batch: 1);
        var images = randn(1, 1, 28, 28);
        var batched = target.ComputeTargets(images, plan);
        // the second fold alone, encoded as its own sequence, gives the same features
        var fold = plan.Folds![0, 1].unsqueeze(0);
        var alone = TeacherLatentTarget.Standardise(target.Teacher.EncodeVisible(images, fold).narrow(1, 1, 12));
        Assert.That(batched.narrow(1, 12, 12).allclose(alone, atol: 1e-5), Is.True);
    }

    [Test]
    public void CosineLossIsZeroForScaledCopiesAndTwoForOpposites()
    {
        using var scope = NewDisposeScope();
        var vectors = randn(2, 5, 8);
        Assert.That(TeacherLatentTarget.CosineLoss(vectors * 3, vectors, CosineAxis.Feature, folds: 1).item<float>(), Is.EqualTo(0).Within(1e-6));
        Assert.That(TeacherLatentTarget.CosineLoss(-vectors, vectors, CosineAxis.Feature, folds: 1).item<float>(), Is.EqualTo(2).Within(1e-6));
        Assert.That(TeacherLatentTarget.CosineLoss(-vectors, vectors, CosineAxis.Token, folds: 1).item<float>(), Is.EqualTo(2).Within(1e-6));
    }

    [Test]
    public void MomentumScheduleRunsFromStartToEnd()
    {
        var target = new TeacherLatentTarget(new TeacherLatentOptions { Momentum = [0.96, 0.99] });
        Assert.That(target.MomentumAt(0, 100), Is.EqualTo(0.96).Within(1e-12));
        Assert.That(target.MomentumAt(50, 100), Is.EqualTo(0.975).Within(1e-12));
        Assert.That(target.MomentumAt(100, 100), Is.EqualTo(0.99).Within(1e-12));
    }

    public class Runs() : StripeDataFixture(trainCount: 512, testCount: 100)
    {
        string Yaml(string output, int epochs = 2) => TinyExperiment.Yaml(dataRoot, output, epochs, trainLimit: 512,
            eval: "{ type: knn, k: 5 }, { type: knn, k: 5, encoder: teacher }")
            .Overlay("{ masking: { type: multi_fold, ratio: 0.75, folds: 3 }, target: { type: teacher_latent, momentum: [0.96, 0.99] } }");

        RunOutcome Run(string yaml, int? stopAfter = null)
        {
            using var loaded = ExperimentLoader.Load(folder.Write("sdae.yaml", yaml));
            return new Pretrainer(loaded, SilentTrainingDisplay.Instance, stopAfter).Run();
        }

        [Test]
        public void TinyRunLossFallsAndEvaluatesStudentAndTeacher()
        {
            var outcome = Run(Yaml(Path.Combine(folder.Path, "runs")));
            Assert.That(outcome.EpochLosses[1], Is.LessThan(outcome.EpochLosses[0]));
            Assert.That(outcome.Heads.Select(h => h.Label), Is.EqualTo(new[] { "knn", "knn_teacher" }));
        }

        [TestCase("encoder")]
        [TestCase("reference")]   // its position table is EMA state too
        public void ResumeRestoresTheTeacherExactly(string init)
        {
            string yaml(string output) => Yaml(Path.Combine(folder.Path, output)).Overlay($"{{ target: {{ teacher_init: {init} }} }}");
            var whole = Run(yaml("whole"));
            Run(yaml("split"), stopAfter: 1);
            var resumed = Run(yaml("split"));
            Assert.That(resumed.EpochLosses.Single(), Is.EqualTo(whole.EpochLosses[1]));
            Assert.That(resumed.Heads.Select(h => h.Result.Top1), Is.EqualTo(whole.Heads.Select(h => h.Result.Top1)));
        }

        [Test]
        public void TeacherEvaluationNeedsATargetWithATeacher()
        {
            var yaml = TinyExperiment.Yaml(dataRoot, folder.Path, eval: "{ type: knn, encoder: teacher }");
            var e = Assert.Throws<ExperimentError>(() => ExperimentLoader.Load(folder.Write("bad.yaml", yaml)).Dispose());
            Assert.That(e!.Message, Does.Contain("has no teacher"));
        }
    }
}
