using Course.Ml.Data;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

/// <summary>
/// A run stopped after a checkpoint and resumed by a new Trainer (a new model object, as a second worker
/// process would build) ends exactly as the same run never stopped: metrics, log history and every weight.
/// </summary>
public sealed class TrainerResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-resume-").FullName;

    private static readonly BertConfig Tiny = new BertConfig
    {
        HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32,
    }.WithLabels(["negative", "positive"]);

    // Enough words that a batch misses most of them: embedding rows trained before a checkpoint and idle after it.
    private static readonly string[] Words =
    [
        "good", "bad", "the", "battery", "screen", "was", "really", "quite", "for", "me", "price", "and", "phone", "camera", "lens",
        "charger", "cable", "box", "delivery", "seller", "colour", "size", "fit", "shoes", "coat", "lamp", "desk", "chair", "kettle",
        "toaster", "blender", "mug", "book", "story", "ending", "plot", "song", "album", "film", "scene",
    ];

    private static List<Features> Examples(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var text = string.Join(' ', Enumerable.Range(0, 3 + random.Next(5)).Select(_ => Words[random.Next(Words.Length)]));
            return Preprocessing.SequenceClassification(Tokenizers.Bert, text, text.Contains("good") ? 1 : 0, 32);
        }).ToList();
    }

    /// <summary>One classification run: dropout, warm-up, decay, accumulation, evaluation by steps and the best model kept.</summary>
    private static readonly TrainingArguments Classification = new()
    {
        LearningRate = 3e-3, NumTrainEpochs = 3, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 2, WarmupRatio = 0.2,
        WeightDecay = 0.01, Seed = 5, LoggingSteps = 3, EvalStrategy = "steps", EvalSteps = 4, LoadBestModelAtEnd = true,
        MetricForBestModel = "loss",
    };

    private sealed record Outcome(Dictionary<string, double> Metrics, List<Dictionary<string, double>> History, Dictionary<string, float[]> Weights, int? ResumedFrom);

    private static Outcome Classify(int initSeed, CheckpointSchedule? checkpoints, int? stopAfterStep = null)
    {
        manual_seed(initSeed);
        using var model = new BertForSequenceClassification(Tiny);
        using var stop = new CancellationTokenSource();
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), Classification,
            Examples(60, 1), Examples(20, 2), new DataCollatorWithPadding(Tokenizers.Bert),
            progress: new Progress(p => { if (p.Step == stopAfterStep) stop.Cancel(); }));
        var metrics = new Dictionary<string, double>(trainer.Train(stop.Token, checkpoints));
        foreach (var (name, value) in trainer.Evaluate())
        {
            metrics[name] = value;
        }
        return new Outcome(metrics, trainer.LogHistory, Weights(model), trainer.ResumedFromStep);
    }

    private static Outcome MaskedLm(int initSeed, CheckpointSchedule? checkpoints, int? stopAfterStep = null)
    {
        manual_seed(initSeed);
        using var model = new BertForMaskedLM(Tiny);
        using var stop = new CancellationTokenSource();
        var examples = Examples(40, 3);
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels),
            new TrainingArguments { LearningRate = 1e-3, NumTrainEpochs = 3, PerDeviceTrainBatchSize = 8, Seed = 9, LoggingSteps = 2, EvalStrategy = "epoch" },
            examples, Examples(16, 4), new DataCollatorForLanguageModeling(Tokenizers.Bert, 0.3, seed: 9),
            progress: new Progress(p => { if (p.Step == stopAfterStep) stop.Cancel(); }));
        var metrics = new Dictionary<string, double>(trainer.Train(stop.Token, checkpoints));
        return new Outcome(metrics, trainer.LogHistory, Weights(model), trainer.ResumedFromStep);
    }

    private static Dictionary<string, float[]> Weights(TorchSharp.torch.nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous().data<float>().ToArray());

    /// <summary>Every metric but the run's timing.</summary>
    private static Dictionary<string, double> Numbers(Outcome outcome) =>
        outcome.Metrics.Where(m => m.Key is not ("train_runtime" or "train_samples_per_second" or "train_steps_per_second")).ToDictionary();

    private static void AssertSameRun(Outcome expected, Outcome actual)
    {
        Assert.Equal(Numbers(expected), Numbers(actual));
        Assert.Equal(expected.History.Count, actual.History.Count);
        for (var i = 0; i < expected.History.Count; i++)
        {
            Assert.Equal(expected.History[i], actual.History[i]);
        }
        Assert.Equal(expected.Weights.Keys, actual.Weights.Keys);
        foreach (var (name, values) in expected.Weights)
        {
            Assert.True(values.AsSpan().SequenceEqual(actual.Weights[name]), $"{name} differs after resuming");
        }
    }

    [Fact]
    public void A_classification_run_resumed_from_its_checkpoint_ends_bit_for_bit_as_the_uninterrupted_run()
    {
        var uninterrupted = Classify(initSeed: 5, checkpoints: null);

        var every = new CheckpointSchedule(_folder, TimeSpan.Zero);
        Assert.Throws<OperationCanceledException>(() => Classify(initSeed: 5, every, stopAfterStep: 6));
        Assert.Equal("checkpoint-6", Path.GetFileName(TrainerCheckpoint.Latest(_folder)));
        Assert.Single(Directory.GetDirectories(_folder)); // only the newest is kept

        // Another initialisation: everything the resumed run has must come from the checkpoint.
        var saved = new List<string>();
        var resumed = Classify(initSeed: 77, new CheckpointSchedule(_folder, TimeSpan.FromDays(1), (_, line) => saved.Add(line)));

        Assert.Equal(6, resumed.ResumedFrom);
        Assert.Equal(["resumed from checkpoint-6 (step 6 of 12)"], saved);
        AssertSameRun(uninterrupted, resumed);
    }

    [Fact]
    public void A_masked_lm_run_resumed_in_its_second_epoch_draws_the_same_masks_as_the_uninterrupted_run()
    {
        var uninterrupted = MaskedLm(initSeed: 3, checkpoints: null);

        Assert.Throws<OperationCanceledException>(() => MaskedLm(initSeed: 3, new CheckpointSchedule(_folder, TimeSpan.Zero), stopAfterStep: 8));
        var resumed = MaskedLm(initSeed: 30, new CheckpointSchedule(_folder, TimeSpan.FromDays(1)));

        Assert.Equal(8, resumed.ResumedFrom); // 5 steps an epoch: inside the second, after an evaluation drew masks too
        AssertSameRun(uninterrupted, resumed);
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_refused_and_not_resumed()
    {
        Assert.Throws<OperationCanceledException>(() => Classify(initSeed: 5, new CheckpointSchedule(_folder, TimeSpan.Zero), stopAfterStep: 3));

        var other = Assert.Throws<InvalidDataException>(() => MaskedLm(initSeed: 3, new CheckpointSchedule(_folder, TimeSpan.FromDays(1))));

        Assert.Contains("belongs to another run", other.Message);
    }

    [Fact]
    public void The_optimizer_state_round_trips_in_the_fused_and_the_torch_fallback_optimizer()
    {
        foreach (var transposed in new[] { false, true }) // a non-contiguous parameter takes torch.optim.AdamW's path
        {
            Parameter Weight() => new(transposed ? (arange(12f).reshape(4, 3) / 10).t() : arange(12f).reshape(3, 4) / 10);
            void Gradient(Parameter p, float scale) => p.grad = full([3, 4], scale);
            var (first, second) = (Weight(), Weight());
            Assert.Equal(!transposed, first.is_contiguous());
            using var original = new FusedAdamW([(first, 0.01)], 0.1);
            for (var step = 1; step <= 3; step++)
            {
                Gradient(first, step);
                original.Step();
            }
            using var restored = new FusedAdamW([(second, 0.01)], 0.1);
            using (no_grad())
            {
                second.copy_(first);
            }
            restored.LoadStateDict(original.StateDict());

            Gradient(first, -2);
            Gradient(second, -2);
            original.Step();
            restored.Step();

            Assert.Equal(first.contiguous().data<float>().ToArray(), second.contiguous().data<float>().ToArray());
            Assert.Equal(["state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"], restored.StateDict().Select(t => t.Name));
            Assert.Equal(4f, restored.StateDict().Single(t => t.Name == "state.0.step").Data[0]);
        }
    }

    [Fact]
    public void A_counting_random_gives_the_seeded_sequence_and_resumes_it_from_its_count()
    {
        var plain = new Random(11);
        var counting = new CountingRandom(11);
        var expected = Enumerable.Range(0, 50).Select(i => i % 3 == 0 ? plain.Next(1000) : plain.NextDouble()).ToList();
        Assert.Equal(expected, Enumerable.Range(0, 50).Select(i => i % 3 == 0 ? counting.Next(1000) : counting.NextDouble()));

        var resumed = CountingRandom.After(11, counting.Draws);
        Assert.Equal(50, counting.Draws);
        Assert.Equal(Enumerable.Range(0, 20).Select(_ => plain.NextDouble()), Enumerable.Range(0, 20).Select(_ => resumed.NextDouble()));
    }

    private sealed class Progress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
