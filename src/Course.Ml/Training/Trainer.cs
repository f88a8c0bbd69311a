using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Ml.Data;
using Course.Ml.Models;
using Course.Ml.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>
/// What the progress callback receives after each logged step (drives the CLI bar and the site's chart);
/// after an evaluation <see cref="EvalMetrics"/> holds its metrics.
/// </summary>
public sealed record TrainerProgress(int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double ExamplesPerSecond, TimeSpan Eta,
    IReadOnlyDictionary<string, double>? EvalMetrics = null);

/// <summary>Logits and labels of an evaluation pass, for <c>compute_metrics</c>.</summary>
public sealed record EvalPrediction(float[][] Predictions, long[][] LabelIds);

/// <summary>
/// HF's <c>Trainer</c> for the BERT heads: AdamW (no weight decay on biases and LayerNorm weights), a warm-up
/// then linear/cosine/constant schedule, gradient accumulation and clipping, shuffling with the seed (same seed
/// and thread count → identical numbers), optional length grouping, bf16 autocast, frozen layers, one dispose
/// scope per step, evaluation with <c>compute_metrics</c>, checkpoints, the best model restored at the end,
/// early stopping, cancellation between steps.
/// </summary>
/// <param name="saveModel">Writes the model in the hub layout into a folder (checkpoints need it).</param>
/// <param name="outputDir">Where <c>checkpoint-N</c> folders go when <c>save_strategy</c> is not <c>no</c>.</param>
public sealed class Trainer(
    nn.Module model,
    Func<Batch, ModelOutput> forward,
    TrainingArguments args,
    IReadOnlyList<Features> trainDataset,
    IReadOnlyList<Features>? evalDataset,
    DataCollatorWithPadding collator,
    Func<EvalPrediction, IReadOnlyDictionary<string, double>>? computeMetrics = null,
    IProgress<TrainerProgress>? progress = null,
    Action<string>? saveModel = null,
    string? outputDir = null)
{
    private Dictionary<string, Tensor>? _bestWeights;
    private int _evaluationsWithoutImprovement;
    private readonly List<string> _checkpoints = [];

    public List<IReadOnlyDictionary<string, double>> LogHistory { get; } = [];

    /// <summary>The best value of <c>metric_for_best_model</c> seen so far, and the step it was reached at.</summary>
    public (double Value, int Step)? Best { get; private set; }

    public string? BestCheckpoint { get; private set; }

    public IReadOnlyDictionary<string, double> Train(CancellationToken cancellationToken = default)
    {
        if (trainDataset.Count == 0)
        {
            throw new ArgumentException("The training dataset is empty.");
        }
        if (args.SaveStrategy != "no" && (saveModel is null || outputDir is null))
        {
            throw new InvalidOperationException("save_strategy needs an output directory and a way to save the model.");
        }
        var evaluates = args.EvalStrategy != "no" && evalDataset is not null;
        if ((args.LoadBestModelAtEnd || args.EarlyStoppingPatience > 0) && !evaluates)
        {
            throw new InvalidOperationException("load_best_model_at_end and early_stopping_patience need eval_strategy steps or epoch and an evaluation set.");
        }
        manual_seed(args.Seed);
        var batchesPerEpoch = (int)Math.Ceiling(trainDataset.Count / (double)args.PerDeviceTrainBatchSize);
        var stepsPerEpoch = Math.Max(1, batchesPerEpoch / args.GradientAccumulationSteps);
        var totalSteps = args.MaxSteps > 0 ? args.MaxSteps : (int)Math.Ceiling(args.NumTrainEpochs * stepsPerEpoch);
        var warmup = LearningRateSchedule.WarmupStepsOf(args, totalSteps);

        var parameters = Trainable();
        static bool NoDecay(string name) => name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("LayerNorm.", StringComparison.Ordinal);
        using var optimizer = new FusedAdamW(parameters.Select(p => (p.parameter, NoDecay(p.name) ? 0 : args.WeightDecay)), args.LearningRate);

        var stopwatch = Stopwatch.StartNew();
        var (step, micro, seen, epoch) = (0, 0, 0, 0);
        var runningLoss = 0.0;
        var lossCount = 0;
        var (totalLoss, totalLossCount) = (0.0, 0);
        var stop = false;
        var lr = args.LearningRate;
        TrainerProgress Snapshot(IReadOnlyDictionary<string, double>? eval = null)
        {
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            return new TrainerProgress(step, totalSteps, (double)seen / trainDataset.Count, lossCount == 0 ? double.NaN : runningLoss / lossCount, lr,
                seen / elapsed, TimeSpan.FromSeconds(elapsed / Math.Max(1, step) * (totalSteps - step)), eval);
        }
        void EvaluateNow()
        {
            var metrics = new Dictionary<string, double>(Evaluate()) { ["epoch"] = (double)seen / trainDataset.Count, ["step"] = step };
            LogHistory.Add(metrics);
            stop = Track(metrics, step);
            progress?.Report(Snapshot(metrics));
            model.train();
        }

        model.train();
        while (step < totalSteps && !stop)
        {
            foreach (var chunk in EpochOrder(epoch).Chunk(args.PerDeviceTrainBatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                using (args.Bf16 ? Autocast.Enable() : null)
                {
                    using var batch = collator.Collate(chunk.Select(i => trainDataset[i]).ToList());
                    using var output = forward(batch);
                    var loss = output.Loss ?? throw new InvalidOperationException("The model returned no loss: are labels missing?");
                    (loss / args.GradientAccumulationSteps).backward();
                    var value = loss.item<float>();
                    (runningLoss, lossCount) = (runningLoss + value, lossCount + 1);
                    (totalLoss, totalLossCount) = (totalLoss + value, totalLossCount + 1);
                }
                seen += chunk.Length;
                if (++micro % args.GradientAccumulationSteps != 0)
                {
                    continue;
                }

                lr = args.LearningRate * LearningRateSchedule.Factor(args.LrSchedulerType, step, warmup, totalSteps);
                optimizer.LearningRate = lr;
                optimizer.Step(args.MaxGradNorm); // clipping included
                optimizer.ZeroGrad();
                step++;

                if (step % args.LoggingSteps == 0 || step == totalSteps)
                {
                    var snapshot = Snapshot();
                    LogHistory.Add(new Dictionary<string, double> { ["loss"] = snapshot.Loss, ["learning_rate"] = lr, ["epoch"] = snapshot.Epoch, ["step"] = step });
                    progress?.Report(snapshot);
                    (runningLoss, lossCount) = (0, 0);
                }
                if (evaluates && args.EvalStrategy == "steps" && step % args.EvalSteps == 0)
                {
                    EvaluateNow();
                }
                if (args.SaveStrategy == "steps" && step % args.SaveSteps == 0)
                {
                    SaveCheckpoint(step, (double)seen / trainDataset.Count);
                }
                if (step >= totalSteps || stop)
                {
                    break;
                }
            }
            epoch++;
            if (!stop && evaluates && args.EvalStrategy == "epoch")
            {
                EvaluateNow();
            }
            if (args.SaveStrategy == "epoch")
            {
                SaveCheckpoint(step, (double)seen / trainDataset.Count);
            }
        }
        model.eval();
        var runtime = stopwatch.Elapsed.TotalSeconds;
        if (args.LoadBestModelAtEnd && _bestWeights is not null)
        {
            RestoreBest();
        }
        return new Dictionary<string, double>
        {
            ["train_runtime"] = runtime,
            ["train_samples_per_second"] = seen / runtime,
            ["train_steps_per_second"] = step / runtime,
            ["train_loss"] = totalLoss / Math.Max(1, totalLossCount),
            ["epoch"] = (double)seen / trainDataset.Count,
        };
    }

    /// <summary>The parameters the optimizer updates: all but the frozen embeddings and first encoder layers.</summary>
    private List<(string name, Parameter parameter)> Trainable()
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            var layer = EncoderLayerOf(name);
            var frozen = (args.FreezeEmbeddings && name.Contains("embeddings.", StringComparison.Ordinal))
                || (layer is { } index && index < args.FreezeEncoderLayers);
            parameter.requires_grad = !frozen;
        }
        return model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
    }

    private static int? EncoderLayerOf(string name)
    {
        const string marker = "encoder.layer.";
        var at = name.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var digits = name.AsSpan(at + marker.Length);
        return int.Parse(digits[..digits.IndexOf('.')]);
    }

    /// <summary>
    /// A seeded permutation; with <c>group_by_length</c>, HF's LengthGroupedSampler: sorted by length inside
    /// mega-batches of 50 batches, so each batch pads little while the order stays random.
    /// </summary>
    private int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, trainDataset.Count).ToArray();
        new Random(args.Seed + epoch).Shuffle(order);
        if (!args.GroupByLength)
        {
            return order;
        }
        return order.Chunk(args.PerDeviceTrainBatchSize * 50)
            .SelectMany(mega => mega.OrderByDescending(i => trainDataset[i].InputIds.Length))
            .ToArray();
    }

    /// <summary>Tracks the best metric (keeping its weights when they will be restored); true when early stopping says stop.</summary>
    private bool Track(IReadOnlyDictionary<string, double> metrics, int step)
    {
        if (!metrics.TryGetValue(args.BestMetricKey, out var value))
        {
            throw new InvalidOperationException(
                $"metric_for_best_model '{args.MetricForBestModel}' is not among the evaluation metrics ({string.Join(", ", metrics.Keys.Where(k => k.StartsWith("eval_")))}).");
        }
        var improved = Best is not { } best || (args.IsGreaterBetter ? value > best.Value : value < best.Value);
        if (!improved)
        {
            _evaluationsWithoutImprovement++;
            return args.EarlyStoppingPatience > 0 && _evaluationsWithoutImprovement >= args.EarlyStoppingPatience;
        }
        Best = (value, step);
        _evaluationsWithoutImprovement = 0;
        if (args.LoadBestModelAtEnd)
        {
            DisposeBest();
            using var noGrad = no_grad();
            _bestWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        }
        return false;
    }

    private void RestoreBest()
    {
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                parameter.copy_(_bestWeights![name]);
            }
        }
        DisposeBest();
        Models.InferenceLinear.InvalidateAll(model);
    }

    private void DisposeBest()
    {
        foreach (var tensor in _bestWeights?.Values ?? Enumerable.Empty<Tensor>())
        {
            tensor.Dispose();
        }
        _bestWeights = null;
    }

    /// <summary>HF's <c>checkpoint-N</c>: the model in the hub layout plus <c>trainer_state.json</c>; old ones rotated out.</summary>
    private void SaveCheckpoint(int step, double epoch)
    {
        var folder = Path.Combine(outputDir!, $"checkpoint-{step}");
        saveModel!(folder);
        if (Best is { } best && best.Step == step)
        {
            BestCheckpoint = folder;
        }
        var state = new JsonObject
        {
            ["global_step"] = step,
            ["epoch"] = epoch,
            ["best_metric"] = Best?.Value,
            ["best_model_checkpoint"] = BestCheckpoint,
            ["log_history"] = new JsonArray(LogHistory.Select(entry => (JsonNode)new JsonObject(entry.Select(kv =>
                KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))))).ToArray()),
        };
        File.WriteAllText(Path.Combine(folder, "trainer_state.json"), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        _checkpoints.Remove(folder);
        _checkpoints.Add(folder);
        while (args.SaveTotalLimit > 0 && _checkpoints.Count > args.SaveTotalLimit)
        {
            var oldest = _checkpoints.First(c => c != BestCheckpoint);
            Directory.Delete(oldest, recursive: true);
            _checkpoints.Remove(oldest);
        }
    }

    /// <summary>Loss and <c>compute_metrics</c> on the evaluation set, names prefixed <c>eval_</c>.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyList<Features>? dataset = null, string prefix = "eval")
    {
        var (predictions, labels, loss) = PredictLogits(dataset ?? evalDataset ?? throw new InvalidOperationException("No evaluation dataset."));
        var metrics = new Dictionary<string, double> { [$"{prefix}_loss"] = loss };
        foreach (var (name, value) in computeMetrics?.Invoke(new EvalPrediction(predictions, labels)) ?? new Dictionary<string, double>())
        {
            metrics[$"{prefix}_{name}"] = value;
        }
        return metrics;
    }

    private (float[][] Predictions, long[][] Labels, double Loss) PredictLogits(IReadOnlyList<Features> dataset)
    {
        model.eval();
        var predictions = new List<float[]>();
        var labels = new List<long[]>();
        var (lossSum, batches) = (0.0, 0);
        foreach (var chunk in dataset.Chunk(args.PerDeviceEvalBatchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var autocast = args.Bf16 ? Autocast.Enable() : null;
            using var batch = collator.Collate(chunk);
            using var output = forward(batch);
            if (output.Loss is not null)
            {
                lossSum += output.Loss.item<float>();
                batches++;
            }
            if (computeMetrics is null)
            {
                continue; // loss only: do not hold every logit (a masked LM's are T × vocab per row)
            }
            using var logits = output.Predictions();
            var rows = logits.shape[0];
            var perRow = logits.numel() / rows;
            var values = logits.data<float>().ToArray();
            for (var r = 0; r < rows; r++)
            {
                predictions.Add(values.AsSpan((int)(r * perRow), (int)perRow).ToArray());
            }
            if (batch.Labels is not null)
            {
                var labelValues = batch.Labels.data<long>().ToArray();
                var perLabelRow = labelValues.Length / (int)rows;
                for (var r = 0; r < rows; r++)
                {
                    labels.Add(labelValues.AsSpan(r * perLabelRow, perLabelRow).ToArray());
                }
            }
        }
        return (predictions.ToArray(), labels.ToArray(), batches == 0 ? double.NaN : lossSum / batches);
    }
}
