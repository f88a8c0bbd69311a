using System.Diagnostics;
using Course.Ml.Data;
using Course.Ml.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>What the progress callback receives after each logged step (drives the CLI bar and the site's chart).</summary>
public sealed record TrainerProgress(int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double ExamplesPerSecond, TimeSpan Eta);

/// <summary>Logits and labels of an evaluation pass, for <c>compute_metrics</c>.</summary>
public sealed record EvalPrediction(float[][] Predictions, long[][] LabelIds);

/// <summary>
/// HF's <c>Trainer</c> for the BERT heads: AdamW (no weight decay on biases and LayerNorm weights), a warm-up
/// then linear/cosine/constant schedule, gradient accumulation and clipping, shuffling with the seed (same seed
/// and thread count → identical numbers), one dispose scope per step, evaluation with <c>compute_metrics</c>,
/// cancellation between steps.
/// </summary>
public sealed class Trainer(
    nn.Module model,
    Func<Batch, ModelOutput> forward,
    TrainingArguments args,
    IReadOnlyList<Features> trainDataset,
    IReadOnlyList<Features>? evalDataset,
    DataCollatorWithPadding collator,
    Func<EvalPrediction, IReadOnlyDictionary<string, double>>? computeMetrics = null,
    IProgress<TrainerProgress>? progress = null)
{
    public List<IReadOnlyDictionary<string, double>> LogHistory { get; } = [];

    public IReadOnlyDictionary<string, double> Train(CancellationToken cancellationToken = default)
    {
        if (trainDataset.Count == 0)
        {
            throw new ArgumentException("The training dataset is empty.");
        }
        manual_seed(args.Seed);
        var batchesPerEpoch = (int)Math.Ceiling(trainDataset.Count / (double)args.PerDeviceTrainBatchSize);
        var stepsPerEpoch = Math.Max(1, batchesPerEpoch / args.GradientAccumulationSteps);
        var totalSteps = args.MaxSteps > 0 ? args.MaxSteps : (int)Math.Ceiling(args.NumTrainEpochs * stepsPerEpoch);
        var warmup = LearningRateSchedule.WarmupStepsOf(args, totalSteps);

        var parameters = model.named_parameters().ToList();
        static bool NoDecay(string name) => name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("LayerNorm.", StringComparison.Ordinal);
        using var optimizer = optim.AdamW(
        [
            new AdamW.ParamGroup(parameters.Where(p => !NoDecay(p.name)).Select(p => p.parameter), new AdamW.Options { LearningRate = args.LearningRate, weight_decay = args.WeightDecay }),
            new AdamW.ParamGroup(parameters.Where(p => NoDecay(p.name)).Select(p => p.parameter), new AdamW.Options { LearningRate = args.LearningRate, weight_decay = 0 }),
        ], args.LearningRate);

        var stopwatch = Stopwatch.StartNew();
        var (step, micro, seen, epoch) = (0, 0, 0, 0);
        var runningLoss = 0.0;
        var lossCount = 0;
        var (totalLoss, totalLossCount) = (0.0, 0);
        model.train();
        while (step < totalSteps)
        {
            var order = Enumerable.Range(0, trainDataset.Count).ToArray();
            new Random(args.Seed + epoch).Shuffle(order);
            foreach (var chunk in order.Chunk(args.PerDeviceTrainBatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
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

                var lr = args.LearningRate * LearningRateSchedule.Factor(args.LrSchedulerType, step, warmup, totalSteps);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }
                if (args.MaxGradNorm > 0)
                {
                    nn.utils.clip_grad_norm_(parameters.Select(p => p.parameter), args.MaxGradNorm);
                }
                optimizer.step();
                optimizer.zero_grad();
                step++;

                if (step % args.LoggingSteps == 0 || step == totalSteps)
                {
                    var elapsed = stopwatch.Elapsed.TotalSeconds;
                    var log = new Dictionary<string, double> { ["loss"] = runningLoss / lossCount, ["learning_rate"] = lr, ["epoch"] = (double)seen / trainDataset.Count, ["step"] = step };
                    LogHistory.Add(log);
                    progress?.Report(new TrainerProgress(step, totalSteps, log["epoch"], log["loss"], lr, seen / elapsed,
                        TimeSpan.FromSeconds(elapsed / step * (totalSteps - step))));
                    (runningLoss, lossCount) = (0, 0);
                }
                if (args.EvalStrategy == "steps" && evalDataset is not null && step % args.EvalSteps == 0)
                {
                    LogHistory.Add(Evaluate());
                    model.train();
                }
                if (step >= totalSteps)
                {
                    break;
                }
            }
            epoch++;
            if (args.EvalStrategy == "epoch" && evalDataset is not null)
            {
                LogHistory.Add(Evaluate());
                model.train();
            }
        }
        model.eval();
        var runtime = stopwatch.Elapsed.TotalSeconds;
        return new Dictionary<string, double>
        {
            ["train_runtime"] = runtime,
            ["train_samples_per_second"] = seen / runtime,
            ["train_steps_per_second"] = step / runtime,
            ["train_loss"] = totalLoss / Math.Max(1, totalLossCount),
            ["epoch"] = (double)seen / trainDataset.Count,
        };
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
