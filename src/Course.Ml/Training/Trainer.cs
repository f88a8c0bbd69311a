using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Ml.Data;
using Course.Ml.Metrics;
using Course.Ml.Models;
using Course.Ml.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>When the Trainer reports, named after HF's <c>TrainerCallback</c> events.</summary>
public enum TrainerEvent
{
    /// <summary>After every optimizer step; <see cref="TrainerProgress.Loss"/> is that step's loss (charts, whatever <c>logging_steps</c> says).</summary>
    StepEnd,

    /// <summary>Every <c>logging_steps</c>; the loss is the mean since the previous log, as HF logs it.</summary>
    Log,

    /// <summary>After an evaluation; <see cref="TrainerProgress.EvalMetrics"/> holds its metrics.</summary>
    Evaluate,
}

/// <summary>What the progress callback receives (drives the CLI bar and the site's progress and charts).</summary>
public sealed record TrainerProgress(int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double ExamplesPerSecond, TimeSpan Eta,
    IReadOnlyDictionary<string, double>? EvalMetrics = null, TrainerEvent Event = TrainerEvent.Log);

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
    /// <summary>Where the model is (the caller put it there): batches follow it, and so does the optimizer's state.</summary>
    private readonly Device _device = TorchDevices.Of(model);
    private Dictionary<string, Tensor>? _bestWeights;
    private readonly List<string> _checkpoints = [];
    private TrainerState _state = new();

    public List<Dictionary<string, double>> LogHistory => _state.LogHistory;

    /// <summary>The best value of <c>metric_for_best_model</c> seen so far, and the step it was reached at.</summary>
    public (double Value, int Step)? Best => _state is { BestMetric: { } value, BestGlobalStep: { } step } ? (value, step) : null;

    public string? BestCheckpoint => _state.BestModelCheckpoint;

    /// <summary>The step of the checkpoint this run resumed from (<see cref="CheckpointSchedule"/>), or null when it started afresh.</summary>
    public int? ResumedFromStep { get; private set; }

    /// <param name="checkpoints">Time-based checkpoints to resume from and write (a grading job's); null writes none.</param>
    public IReadOnlyDictionary<string, double> Train(CancellationToken cancellationToken = default, CheckpointSchedule? checkpoints = null)
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
        var totalSteps = TotalSteps(args, trainDataset.Count);
        var warmup = LearningRateSchedule.WarmupStepsOf(args, totalSteps);

        var parameters = Trainable();
        static bool NoDecay(string name) => name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("LayerNorm.", StringComparison.Ordinal);
        using var optimizer = new FusedAdamW(parameters.Select(p => (p.parameter, NoDecay(p.name) ? 0 : args.WeightDecay)), args.LearningRate);

        var state = _state = new TrainerState { MaxSteps = totalSteps, RunSignature = Signature(parameters.Count) };
        if (checkpoints is not null && TrainerCheckpoint.Latest(checkpoints.Folder) is { } latest)
        {
            state = _state = Resume(latest, optimizer, checkpoints);
        }
        var stopwatch = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        double Runtime() => state.TrainRuntime + stopwatch.Elapsed.TotalSeconds;
        double Epoch() => (double)state.SamplesSeen / trainDataset.Count;
        var stop = false;
        var lr = args.LearningRate;
        var (stepLoss, stepBatches) = (0.0, 0); // the micro-batch losses of the optimizer step being accumulated
        TrainerProgress Snapshot(TrainerEvent kind, IReadOnlyDictionary<string, double>? eval = null, double? loss = null)
        {
            var (elapsed, step) = (stopwatch.Elapsed.TotalSeconds, state.GlobalStep - (ResumedFromStep ?? 0));
            return new TrainerProgress(state.GlobalStep, totalSteps, Epoch(), loss ?? (state.RunningLossCount == 0 ? double.NaN : state.RunningLoss / state.RunningLossCount), lr,
                (state.SamplesSeen - (ResumedFromSamples ?? 0)) / elapsed, TimeSpan.FromSeconds(elapsed / Math.Max(1, step) * (totalSteps - state.GlobalStep)), eval, kind);
        }
        void EvaluateNow()
        {
            var metrics = new Dictionary<string, double>(Evaluate()) { ["epoch"] = Epoch(), ["step"] = state.GlobalStep };
            LogHistory.Add(metrics);
            stop = Track(metrics, state.GlobalStep);
            progress?.Report(Snapshot(TrainerEvent.Evaluate, metrics));
            model.train();
        }

        model.train();
        while (state.GlobalStep < totalSteps && !stop)
        {
            foreach (var chunk in EpochOrder(state.EpochIndex).Chunk(args.PerDeviceTrainBatchSize).Skip(state.BatchesInEpoch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                using (args.Bf16 ? Autocast.Enable() : null)
                {
                    using var batch = collator.Collate(chunk.Select(i => trainDataset[i]).ToList()).To(_device);
                    using var output = forward(batch);
                    var loss = output.Loss ?? throw new InvalidOperationException("The model returned no loss: are labels missing?");
                    (loss / args.GradientAccumulationSteps).backward();
                    var value = loss.item<float>();
                    (state.RunningLoss, state.RunningLossCount) = (state.RunningLoss + value, state.RunningLossCount + 1);
                    (stepLoss, stepBatches) = (stepLoss + value, stepBatches + 1);
                    (state.TotalLoss, state.TotalLossCount) = (state.TotalLoss + value, state.TotalLossCount + 1);
                }
                state.SamplesSeen += chunk.Length;
                state.BatchesInEpoch++;
                if (++state.MicroBatches % args.GradientAccumulationSteps != 0)
                {
                    continue;
                }

                lr = args.LearningRate * LearningRateSchedule.Factor(args.LrSchedulerType, state.GlobalStep, warmup, totalSteps);
                optimizer.LearningRate = lr;
                var gradNorm = optimizer.Step(args.MaxGradNorm); // clipping included
                optimizer.ZeroGrad();
                var step = ++state.GlobalStep;
                // Non-finite gradients have ruined the weights; without clipping there is no norm, so the loss tells.
                // The norm is the better witness: a masked-LM batch with no masked token has a NaN loss but no gradient.
                if (args.MaxGradNorm > 0 ? !double.IsFinite(gradNorm) : !double.IsFinite(stepLoss))
                {
                    throw new TrainingDivergedException(step, stepLoss / stepBatches, gradNorm);
                }
                state.Epoch = Epoch();
                progress?.Report(Snapshot(TrainerEvent.StepEnd, loss: stepLoss / stepBatches));
                (stepLoss, stepBatches) = (0, 0);

                if (step % args.LoggingSteps == 0 || step == totalSteps)
                {
                    var snapshot = Snapshot(TrainerEvent.Log);
                    LogHistory.Add(new Dictionary<string, double> { ["loss"] = snapshot.Loss, ["learning_rate"] = lr, ["epoch"] = snapshot.Epoch, ["step"] = step });
                    progress?.Report(snapshot);
                    (state.RunningLoss, state.RunningLossCount) = (0, 0);
                }
                if (evaluates && args.EvalStrategy == "steps" && step % args.EvalSteps == 0)
                {
                    EvaluateNow();
                }
                if (args.SaveStrategy == "steps" && step % args.SaveSteps == 0)
                {
                    SaveCheckpoint(optimizer, Runtime());
                }
                if (step >= totalSteps || stop)
                {
                    break;
                }
                if (checkpoints is not null && sinceCheckpoint.Elapsed >= checkpoints.Every)
                {
                    SaveResumable(checkpoints, optimizer, Runtime());
                    sinceCheckpoint.Restart();
                }
            }
            (state.EpochIndex, state.BatchesInEpoch) = (state.EpochIndex + 1, 0);
            if (!stop && evaluates && args.EvalStrategy == "epoch")
            {
                EvaluateNow();
            }
            if (args.SaveStrategy == "epoch")
            {
                SaveCheckpoint(optimizer, Runtime());
            }
        }
        model.eval();
        var runtime = Runtime();
        if (args.LoadBestModelAtEnd && _bestWeights is not null)
        {
            RestoreBest();
        }
        return new Dictionary<string, double>
        {
            ["train_runtime"] = runtime,
            ["train_samples_per_second"] = state.SamplesSeen / runtime,
            ["train_steps_per_second"] = state.GlobalStep / runtime,
            ["train_loss"] = state.TotalLoss / Math.Max(1, state.TotalLossCount),
            ["epoch"] = Epoch(),
        };
    }

    private int? ResumedFromSamples { get; set; }

    /// <summary>
    /// The optimizer steps a run takes: <c>max_steps</c> when set, else epochs × steps per epoch, where an epoch
    /// is ⌈examples / batch⌉ batches and a step takes <c>gradient_accumulation_steps</c> of them (at least one).
    /// The submission checks use it to refuse step intervals the run never reaches.
    /// </summary>
    public static int TotalSteps(TrainingArguments args, int trainExamples)
    {
        var batchesPerEpoch = (int)Math.Ceiling(trainExamples / (double)args.PerDeviceTrainBatchSize);
        var stepsPerEpoch = Math.Max(1, batchesPerEpoch / args.GradientAccumulationSteps);
        return args.MaxSteps > 0 ? args.MaxSteps : (int)Math.Ceiling(args.NumTrainEpochs * stepsPerEpoch);
    }

    /// <summary>What a checkpoint must match to be resumed by this run: the arguments, the data and the model's parameters.</summary>
    private string Signature(int trainableParameters) =>
        $"{args with { ClassWeights = null }}|{string.Join(',', args.ClassWeights ?? [])}|{trainDataset.Count}|{evalDataset?.Count}|{trainableParameters}";

    private TrainerState Resume(string checkpoint, FusedAdamW optimizer, CheckpointSchedule checkpoints)
    {
        var saved = TrainerCheckpoint.ReadState(checkpoint);
        if (saved.RunSignature != _state.RunSignature)
        {
            throw new InvalidDataException($"{checkpoint} belongs to another run (its arguments, data or model differ); it cannot be resumed.");
        }
        DisposeBest();
        _bestWeights = TrainerCheckpoint.Restore(checkpoint, model, optimizer);
        collator.ResumeRandom(saved.CollatorRandomDraws);
        ResumedFromStep = saved.GlobalStep;
        ResumedFromSamples = saved.SamplesSeen;
        checkpoints.Saved?.Invoke(saved.GlobalStep, $"resumed from {Path.GetFileName(checkpoint)} (step {saved.GlobalStep} of {saved.MaxSteps})");
        return saved;
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
            _state.EvaluationsWithoutImprovement++;
            return args.EarlyStoppingPatience > 0 && _state.EvaluationsWithoutImprovement >= args.EarlyStoppingPatience;
        }
        (_state.BestMetric, _state.BestGlobalStep) = (value, step);
        _state.EvaluationsWithoutImprovement = 0;
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
    }

    private void DisposeBest()
    {
        foreach (var tensor in _bestWeights?.Values ?? Enumerable.Empty<Tensor>())
        {
            tensor.Dispose();
        }
        _bestWeights = null;
    }

    /// <summary>HF's <c>checkpoint-N</c> in the output directory, the model in the hub layout; old ones rotated out, the best kept.</summary>
    private void SaveCheckpoint(FusedAdamW optimizer, double runtime)
    {
        var folder = Path.Combine(outputDir!, $"{TrainerCheckpoint.Prefix}{_state.GlobalStep}");
        if (Best is { } best && best.Step == _state.GlobalStep)
        {
            _state.BestModelCheckpoint = folder;
        }
        WriteCheckpoint(folder, optimizer, runtime, saveModel);
        _checkpoints.Remove(folder);
        _checkpoints.Add(folder);
        while (args.SaveTotalLimit > 0 && _checkpoints.Count > args.SaveTotalLimit)
        {
            var oldest = _checkpoints.First(c => c != BestCheckpoint);
            Directory.Delete(oldest, recursive: true);
            _checkpoints.Remove(oldest);
        }
    }

    /// <summary>A checkpoint of a run that may be killed: only the newest is kept.</summary>
    private void SaveResumable(CheckpointSchedule checkpoints, FusedAdamW optimizer, double runtime)
    {
        var folder = Path.Combine(checkpoints.Folder, $"{TrainerCheckpoint.Prefix}{_state.GlobalStep}");
        WriteCheckpoint(folder, optimizer, runtime, null);
        TrainerCheckpoint.DeleteOthers(checkpoints.Folder, folder);
        checkpoints.Saved?.Invoke(_state.GlobalStep, $"checkpoint at step {_state.GlobalStep} of {_state.MaxSteps}");
    }

    private void WriteCheckpoint(string folder, FusedAdamW optimizer, double runtime, Action<string>? hubLayout)
    {
        _state.TrainRuntime = runtime;
        _state.CollatorRandomDraws = collator.RandomDraws;
        TrainerCheckpoint.Write(folder, model, optimizer, _state, _bestWeights, hubLayout);
    }

    /// <summary>Loss and <c>compute_metrics</c> on the evaluation set, names prefixed <c>eval_</c>.</summary>
    /// <param name="bootstrap">Metrics (of <c>compute_metrics</c>) that also get a 95 % bootstrap interval over the rows,
    /// as <c>{prefix}_{name}_ci95_low</c> and <c>_high</c>; only for data sets whose rows are whole examples.</param>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyList<Features>? dataset = null, string prefix = "eval", Func<string, bool>? bootstrap = null)
    {
        var (predictions, labels, loss) = PredictLogits(dataset);
        var metrics = new Dictionary<string, double> { [$"{prefix}_loss"] = loss };
        var computed = computeMetrics?.Invoke(new EvalPrediction(predictions, labels)) ?? new Dictionary<string, double>();
        foreach (var (name, value) in computed)
        {
            metrics[$"{prefix}_{name}"] = value;
        }
        if (bootstrap is not null && computeMetrics is not null)
        {
            var intervals = Bootstrap.Intervals(predictions.Length,
                rows => computeMetrics(new EvalPrediction(rows.Select(r => predictions[r]).ToArray(), rows.Select(r => labels[r]).ToArray())),
                computed.Keys.Where(bootstrap).ToList());
            foreach (var (name, (low, high)) in intervals)
            {
                (metrics[$"{prefix}_{name}_ci95_low"], metrics[$"{prefix}_{name}_ci95_high"]) = (low, high);
            }
        }
        return metrics;
    }

    /// <summary>HF's <c>trainer.predict</c> without metrics: the logits and labels of every row (the evaluation set by default).</summary>
    public EvalPrediction Predict(IReadOnlyList<Features>? dataset = null)
    {
        var (predictions, labels, _) = PredictLogits(dataset);
        return new EvalPrediction(predictions, labels);
    }

    /// <summary>The logits, labels and mean loss of <paramref name="dataset"/>, or of the evaluation set when it is null.</summary>
    private (float[][] Predictions, long[][] Labels, double Loss) PredictLogits(IReadOnlyList<Features>? dataset)
    {
        dataset ??= evalDataset ?? throw new InvalidOperationException("No evaluation dataset.");
        model.eval();
        var predictions = new List<float[]>();
        var labels = new List<long[]>();
        var (lossSum, batches) = (0.0, 0);
        foreach (var chunk in dataset.Chunk(args.PerDeviceEvalBatchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var autocast = args.Bf16 ? Autocast.Enable() : null;
            using var batch = collator.Collate(chunk).To(_device);
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
            using var logits = output.Predictions().cpu();
            var rows = logits.shape[0];
            var perRow = logits.numel() / rows;
            var values = logits.data<float>().ToArray();
            for (var r = 0; r < rows; r++)
            {
                predictions.Add(values.AsSpan((int)(r * perRow), (int)perRow).ToArray());
            }
            if (batch.Labels is not null)
            {
                using var labelsOnCpu = batch.Labels.cpu();
                var labelValues = labelsOnCpu.data<long>().ToArray();
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
