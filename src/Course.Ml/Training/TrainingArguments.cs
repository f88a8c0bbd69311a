namespace Course.Ml.Training;

/// <summary>HF's <c>TrainingArguments</c> (same names, snake_case in configuration files), defaults as HF's.</summary>
public sealed record TrainingArguments
{
    public double LearningRate { get; init; } = 5e-5;
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    public double NumTrainEpochs { get; init; } = 3;

    /// <summary>When positive, overrides <see cref="NumTrainEpochs"/>.</summary>
    public int MaxSteps { get; init; } = -1;

    public double WeightDecay { get; init; }
    public double WarmupRatio { get; init; }

    /// <summary>When positive, overrides <see cref="WarmupRatio"/>.</summary>
    public int WarmupSteps { get; init; }

    /// <summary><c>linear</c>, <c>cosine</c> or <c>constant_with_warmup</c>.</summary>
    public string LrSchedulerType { get; init; } = "linear";

    public int GradientAccumulationSteps { get; init; } = 1;
    public double MaxGradNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 42;

    /// <summary><c>no</c>, <c>steps</c> or <c>epoch</c>.</summary>
    public string EvalStrategy { get; init; } = "no";

    public int EvalSteps { get; init; } = 500;
    public int LoggingSteps { get; init; } = 500;

    /// <summary><c>no</c>, <c>steps</c> or <c>epoch</c>: when to write <c>checkpoint-N</c> folders into the output directory.</summary>
    public string SaveStrategy { get; init; } = "no";

    public int SaveSteps { get; init; } = 500;

    /// <summary>Keep only this many checkpoints (oldest deleted first; the best one is kept); 0 keeps all.</summary>
    public int SaveTotalLimit { get; init; }

    /// <summary>Restore the weights of the best evaluation at the end (kept in memory, so no checkpoint is needed).</summary>
    public bool LoadBestModelAtEnd { get; init; }

    /// <summary>A metric name with or without <c>eval_</c>; HF's default is the loss.</summary>
    public string MetricForBestModel { get; init; } = "loss";

    /// <summary>Null: true unless the metric is a loss (HF's rule).</summary>
    public bool? GreaterIsBetter { get; init; }

    /// <summary>HF's <c>EarlyStoppingCallback</c>: stop after this many evaluations without improvement; 0 = never.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>bf16 mixed precision: GEMMs in bf16 under <see cref="Models.Autocast"/>, fp32 master weights.</summary>
    public bool Bf16 { get; init; }

    /// <summary>HF's <c>group_by_length</c>: batches of similar lengths (less padding), order still random.</summary>
    public bool GroupByLength { get; init; }

    /// <summary>Ours: cross-entropy weight per class in label order; <see cref="BalancedClassWeights"/> computes them.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }

    /// <summary>Ours: weights n / (k · count) from the training labels (scikit-learn's "balanced").</summary>
    public bool BalancedClassWeights { get; init; }

    /// <summary>Ours: no gradient for the embeddings.</summary>
    public bool FreezeEmbeddings { get; init; }

    /// <summary>Ours: no gradient for the first N encoder layers.</summary>
    public int FreezeEncoderLayers { get; init; }

    public string BestMetricKey => MetricForBestModel.StartsWith("eval_", StringComparison.Ordinal) ? MetricForBestModel : "eval_" + MetricForBestModel;

    public bool IsGreaterBetter => GreaterIsBetter ?? !BestMetricKey.EndsWith("loss", StringComparison.Ordinal);
}

/// <summary>Learning-rate multipliers of HF's schedulers (<c>get_scheduler</c>), as a function of the optimizer step.</summary>
public static class LearningRateSchedule
{
    public static int WarmupStepsOf(TrainingArguments args, int totalSteps) =>
        args.WarmupSteps > 0 ? args.WarmupSteps : (int)Math.Ceiling(args.WarmupRatio * totalSteps);

    /// <summary>Multiplier of the base learning rate at <paramref name="step"/> (0-based, before the step is taken).</summary>
    public static double Factor(string type, int step, int warmupSteps, int totalSteps)
    {
        if (step < warmupSteps)
        {
            return (double)step / Math.Max(1, warmupSteps);
        }
        var progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return type switch
        {
            "linear" => Math.Max(0, 1 - progress),
            "cosine" => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            "constant_with_warmup" => 1,
            _ => throw new ArgumentException($"lr_scheduler_type must be linear, cosine or constant_with_warmup, not '{type}'."),
        };
    }
}
