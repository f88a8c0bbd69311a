using Course.Ml.Data;
using Course.Ml.Metrics;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Training;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData("linear", 0, 0.0)]
    [InlineData("linear", 5, 0.5)]
    [InlineData("linear", 10, 1.0)]
    [InlineData("linear", 55, 0.5)]
    [InlineData("linear", 100, 0.0)]
    [InlineData("cosine", 55, 0.5)]
    [InlineData("cosine", 10, 1.0)]
    [InlineData("constant_with_warmup", 5, 0.5)]
    [InlineData("constant_with_warmup", 90, 1.0)]
    public void Factors_follow_hugging_face_schedulers(string type, int step, double expected)
    {
        Assert.Equal(expected, LearningRateSchedule.Factor(type, step, warmupSteps: 10, totalSteps: 100), 10);
    }

    [Fact]
    public void Warmup_steps_override_the_ratio_and_unknown_schedulers_are_rejected()
    {
        Assert.Equal(10, LearningRateSchedule.WarmupStepsOf(new TrainingArguments { WarmupRatio = 0.1 }, 100));
        Assert.Equal(3, LearningRateSchedule.WarmupStepsOf(new TrainingArguments { WarmupRatio = 0.1, WarmupSteps = 3 }, 100));
        Assert.Contains("lr_scheduler_type", Assert.Throws<ArgumentException>(() => LearningRateSchedule.Factor("step", 50, 0, 100)).Message);
    }
}

public class TrainerTests
{
    private static readonly BertConfig Tiny = new BertConfig
    {
        HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    }.WithLabels(["negative", "positive"]);

    // A keyword task a tiny model learns in a few epochs (test data, not course content).
    private static readonly string[] Positive = ["good", "great", "excellent", "lovely"];
    private static readonly string[] Negative = ["bad", "awful", "terrible", "poor"];
    private static readonly string[] Fillers = ["the", "battery", "screen", "was", "really", "quite", "for", "me", "price", "and"];

    private static List<Features> Examples(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var label = i % 2;
            var words = Enumerable.Range(0, 5).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count), (label == 1 ? Positive : Negative)[random.Next(4)]);
            return Preprocessing.SequenceClassification(Tokenizers.Bert, string.Join(' ', words), label, 32);
        }).ToList();
    }

    private static (IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Eval) Run(int seed)
    {
        manual_seed(seed);
        using var model = new BertForSequenceClassification(Tiny);
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments { LearningRate = 3e-3, NumTrainEpochs = 8, PerDeviceTrainBatchSize = 16, WarmupRatio = 0.1, Seed = seed, LoggingSteps = 10 },
            Examples(160, 1), Examples(60, 2), new DataCollatorWithPadding(Tokenizers.Bert),
            p =>
            {
                var predicted = p.Predictions.Select(l => l[1] > l[0] ? 1 : 0).ToList();
                var report = ClassificationMetrics.Compute(p.LabelIds.Select(l => (int)l[0]).ToList(), predicted, Tiny.Labels);
                return new Dictionary<string, double> { ["accuracy"] = report.Accuracy, ["f1"] = report.MacroF1 };
            });
        var train = trainer.Train();
        return (train, trainer.Evaluate());
    }

    [Fact]
    public void A_tiny_fine_tune_beats_chance_by_a_wide_margin_and_is_deterministic()
    {
        var (train, eval) = Run(seed: 7);
        var (_, again) = Run(seed: 7);

        Assert.InRange(eval["eval_accuracy"], 0.85, 1.0);
        Assert.True(eval["eval_loss"] < 0.5, $"eval_loss {eval["eval_loss"]}");
        Assert.True(train["train_samples_per_second"] > 0);
        Assert.Equal(eval["eval_loss"], again["eval_loss"]);
        Assert.Equal(eval["eval_accuracy"], again["eval_accuracy"]);
    }

    [Fact]
    public void Cancellation_stops_training_between_steps()
    {
        using var model = new BertForSequenceClassification(Tiny);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments(), Examples(8, 3), null, new DataCollatorWithPadding(Tokenizers.Bert));

        Assert.Throws<OperationCanceledException>(() => trainer.Train(cancelled.Token));
        Assert.Throws<ArgumentException>(() => new Trainer(model, b => model.forward(b.InputIds), new TrainingArguments(), [], null, new DataCollatorWithPadding(Tokenizers.Bert)).Train());
    }
}
