using Course.Ml.Data;
using Course.Ml.Metrics;
using Course.Ml.Models.Bert;
using Course.Ml.Models;
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
    public void Every_step_reports_its_own_loss_and_logs_and_evaluations_come_as_hugging_face_schedules_them()
    {
        manual_seed(3);
        using var model = new BertForSequenceClassification(Tiny);
        var events = new List<TrainerProgress>();
        // 40 examples, batch 8, accumulation 2: 5 micro-batches an epoch, floor(5 / 2) = 2 steps an epoch as the Trainer counts them, 4 in all.
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments { NumTrainEpochs = 2, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 2, LoggingSteps = 3, EvalStrategy = "epoch", Seed = 3 },
            Examples(40, 4), Examples(10, 5), new DataCollatorWithPadding(Tokenizers.Bert), Accuracy, new Reporter(events.Add));

        trainer.Train();

        var steps = events.Where(e => e.Event == TrainerEvent.StepEnd).ToList();
        Assert.Equal(Enumerable.Range(1, steps[0].TotalSteps), steps.Select(e => e.Step));
        Assert.All(steps, e => Assert.False(double.IsNaN(e.Loss)));
        Assert.Equal(4, steps[0].TotalSteps);
        Assert.Equal([3, 4], events.Where(e => e.Event == TrainerEvent.Log).Select(e => e.Step));
        Assert.Equal(2, events.Count(e => e.Event == TrainerEvent.Evaluate && e.EvalMetrics!.ContainsKey("eval_accuracy")));
        // A log's loss is the mean of the steps' micro-batch losses since the previous log, which the step losses show.
        var firstLog = events.First(e => e.Event == TrainerEvent.Log);
        Assert.Equal(steps.Take(3).Average(e => e.Loss), firstLog.Loss, 5);
    }

    private sealed class Reporter(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
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

    [Theory]
    [InlineData(1.0)] // clipping: the gradient norm is infinite
    [InlineData(0.0)] // no clipping, so no norm: the loss is
    public void A_loss_that_blows_up_stops_training_at_that_step_as_the_configurations_failure(double maxGradNorm)
    {
        using var model = new BertForSequenceClassification(Tiny);
        var calls = 0;
        ModelOutput Forward(Batch b)
        {
            var output = model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels);
            // The third batch's loss (and so its gradients) becomes infinite, as a far too high learning rate makes it.
            return ++calls == 3 ? output with { Loss = output.Loss! * float.PositiveInfinity } : output;
        }
        var trainer = new Trainer(model, Forward, new TrainingArguments { NumTrainEpochs = 2, PerDeviceTrainBatchSize = 4, MaxGradNorm = maxGradNorm },
            Examples(16, 3), null, new DataCollatorWithPadding(Tokenizers.Bert));

        var diverged = Assert.Throws<TrainingDivergedException>(() => trainer.Train());

        Assert.Equal(3, diverged.Step);
        Assert.IsAssignableFrom<ConfigurationFailureException>(diverged);
        Assert.StartsWith("Training diverged at step 3: the loss was Infinity and the gradient norm ", diverged.Message);
    }

    private static Func<EvalPrediction, IReadOnlyDictionary<string, double>> Accuracy => p =>
        new Dictionary<string, double> { ["accuracy"] = p.Predictions.Zip(p.LabelIds).Average(x => (x.First[1] > x.First[0] ? 1 : 0) == x.Second[0] ? 1.0 : 0.0) };

    [Fact]
    public void Frozen_embeddings_and_first_layers_keep_their_weights_while_the_rest_learn()
    {
        manual_seed(3);
        using var model = new BertForSequenceClassification(Tiny with { NumHiddenLayers = 2 });
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments { LearningRate = 1e-2, NumTrainEpochs = 1, PerDeviceTrainBatchSize = 8, FreezeEmbeddings = true, FreezeEncoderLayers = 1 },
            Examples(32, 4), null, new DataCollatorWithPadding(Tokenizers.Bert)).Train();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var unchanged = parameter.detach().allclose(before[name], rtol: 0, atol: 0);
            var frozen = name.Contains("embeddings.") || name.Contains("encoder.layer.0.");
            Assert.True(frozen == unchanged, $"{name}: frozen {frozen}, unchanged {unchanged}");
        }
    }

    [Fact]
    public void Early_stopping_ends_after_patience_evaluations_and_the_best_weights_come_back()
    {
        manual_seed(5);
        using var model = new BertForSequenceClassification(Tiny);
        // A scripted metric: the second evaluation is the best, then two without improvement stop training.
        double[] scores = [0.5, 0.8, 0.7, 0.6, 0.9, 0.95];
        var evaluation = 0;
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments
            {
                LearningRate = 3e-3, NumTrainEpochs = 6, PerDeviceTrainBatchSize = 16, EvalStrategy = "epoch", MetricForBestModel = "score",
                EarlyStoppingPatience = 2, LoadBestModelAtEnd = true,
            },
            Examples(64, 1), Examples(32, 2), new DataCollatorWithPadding(Tokenizers.Bert),
            _ => new Dictionary<string, double> { ["score"] = scores[Math.Min(evaluation++, scores.Length - 1)] });
        var train = trainer.Train();

        var evaluations = trainer.LogHistory.Where(h => h.ContainsKey("eval_loss")).ToList();
        Assert.Equal([0.5, 0.8, 0.7, 0.6], evaluations.Select(e => e["eval_score"]));
        Assert.Equal(4.0, train["epoch"], 6);
        Assert.Equal((0.8, 8), trainer.Best);
        Assert.NotEqual(evaluations[1]["eval_loss"], evaluations[3]["eval_loss"]);
        Assert.Equal(evaluations[1]["eval_loss"], trainer.Evaluate()["eval_loss"], 5); // the weights of epoch 2 are back
    }

    [Fact]
    public void Checkpoints_are_written_per_epoch_rotated_and_keep_the_best()
    {
        var folder = Directory.CreateTempSubdirectory("course-checkpoints-").FullName;
        try
        {
            manual_seed(6);
            using var model = new BertForSequenceClassification(Tiny);
            var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
                new TrainingArguments
                {
                    LearningRate = 3e-3, NumTrainEpochs = 4, PerDeviceTrainBatchSize = 16, EvalStrategy = "epoch", SaveStrategy = "epoch",
                    SaveTotalLimit = 2, MetricForBestModel = "accuracy",
                },
                Examples(32, 1), Examples(16, 2), new DataCollatorWithPadding(Tokenizers.Bert), Accuracy,
                saveModel: f => PreTrainedBert.Save(model, Tiny, f), outputDir: folder);
            trainer.Train();

            var checkpoints = Directory.GetDirectories(folder).Select(Path.GetFileName).Order().ToList();
            Assert.InRange(checkpoints.Count, 2, 3); // the last two, plus the best when it is older
            Assert.Contains("checkpoint-8", checkpoints);
            Assert.Contains(Path.GetFileName(trainer.BestCheckpoint), checkpoints);
            var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint-8", "trainer_state.json")))!;
            Assert.Equal(8, state["global_step"]!.GetValue<int>());
            Assert.Equal(4, state["log_history"]!.AsArray().Count(e => e!["eval_accuracy"] is not null));
            Assert.True(File.Exists(Path.Combine(folder, "checkpoint-8", "model.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Counts the padded positions of every training batch.</summary>
    private sealed class PaddingCounter() : DataCollatorWithPadding(Tokenizers.Bert)
    {
        public long Padding { get; private set; }

        public override Batch Collate(IReadOnlyList<Features> examples)
        {
            Padding += examples.Sum(e => examples.Max(x => x.InputIds.Length) - e.InputIds.Length);
            return base.Collate(examples);
        }
    }

    [Fact]
    public void Grouping_by_length_pads_less_and_still_sees_every_example()
    {
        var random = new Random(9);
        var examples = Enumerable.Range(0, 96).Select(i => Preprocessing.SequenceClassification(Tokenizers.Bert,
            string.Join(' ', Enumerable.Range(0, 1 + random.Next(20)).Select(_ => Fillers[random.Next(Fillers.Length)])), i % 2, 32)).ToList();
        long PaddingWith(bool grouped)
        {
            using var model = new BertForSequenceClassification(Tiny);
            var counter = new PaddingCounter();
            var result = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
                new TrainingArguments { NumTrainEpochs = 1, PerDeviceTrainBatchSize = 8, GroupByLength = grouped }, examples, null, counter).Train();
            Assert.Equal(1.0, result["epoch"], 6);
            return counter.Padding;
        }

        var (plain, grouped) = (PaddingWith(false), PaddingWith(true));
        Assert.True(grouped * 3 < plain, $"padding grouped {grouped}, plain {plain}");
    }

    [Fact]
    public void Bf16_autocast_keeps_logits_close_and_fp32_outside()
    {
        manual_seed(8);
        using var model = new BertForSequenceClassification(Tiny);
        model.eval(); // no dropout: both passes must see the same network
        using var batch = new DataCollatorWithPadding(Tokenizers.Bert).Collate(Examples(4, 5));
        using var full = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        ModelOutput half;
        using (Course.Ml.Models.Autocast.Enable())
        {
            half = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        }
        using var _ = half;
        Assert.False(Course.Ml.Models.Autocast.IsEnabled);
        Assert.Equal(ScalarType.Float32, half.Logits.dtype);
        var drift = (half.Logits - full.Logits).abs().max().item<float>();
        Assert.True(drift < 0.05, $"bf16 logits drifted {drift} from fp32");
        Assert.False(half.Logits.allclose(full.Logits, rtol: 0, atol: 0)); // the casts really happened
    }

    [Fact]
    public void Balanced_class_weights_match_scikit_learn_and_weight_the_loss()
    {
        // compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,1,-100]): n=4, k=3 → 4/9, 4/3, 1 (absent).
        Assert.Equal([4.0 / 9, 4.0 / 3, 1.0], ClassWeighting.Balanced([0, 0, 0, 1, Preprocessing.IgnoreIndex], 3));

        using var logits = tensor(new float[] { 2, 0, 0, 1 }, [2, 2]);
        using var labels = tensor(new long[] { 1, 0 });
        using var weights = tensor(new float[] { 1, 3 });
        using var output = ClassWeighting.Weighted(new ModelOutput(null, logits.alias()), labels, weights);
        // Weighted mean: (3 · CE(row 0, class 1) + 1 · CE(row 1, class 0)) / (3 + 1).
        var ce0 = Math.Log(1 + Math.Exp(2)); // -log softmax([2, 0])[1]
        var ce1 = Math.Log(1 + Math.Exp(1)); // -log softmax([0, 1])[0]
        Assert.Equal((3 * ce0 + ce1) / 4, output.Loss!.item<float>(), 4);
    }
}
