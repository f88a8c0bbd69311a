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
