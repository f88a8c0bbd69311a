using System.Globalization;

namespace Course.Ml.Training;

/// <summary>
/// The <c>decision:</c> block (ours; text-classification only): how a classifier turns logits into a label.
/// Hugging Face takes the argmax of the logits; threshold moving adds one bias per class to the logits first,
/// given by the configuration or tuned on the validation split (<see cref="ThresholdMoving"/>). The bias applies
/// to every evaluation of the run after it is known, to the hidden split in grading and to the saved model's
/// pipeline (config.json's <c>class_bias</c>).
/// </summary>
public sealed class DecisionFile
{
    public const string Tuned = "tuned";

    /// <summary>The keys of the block, as an assignment's <c>allowed_decision</c> names them.</summary>
    public static readonly string[] Keys = ["class_bias", "tune_for"];

    /// <summary>The only task the block applies to.</summary>
    public const string Task = "text-classification";

    /// <summary><c>tuned</c>, or one number per class in label order, added to the logits: YAML gives a string or a list of strings.</summary>
    public object? ClassBias { get; set; }

    /// <summary>With <c>class_bias: tuned</c>, the validation metric the bias maximises (a name <c>metric_for_best_model</c> accepts, without <c>eval_</c>).</summary>
    public string? TuneFor { get; set; }

    public bool IsSet => ClassBias is not null || TuneFor is not null;

    /// <summary>(tuned, explicit biases), or null when <see cref="ClassBias"/> is malformed (not <c>tuned</c>, not a list of finite numbers).</summary>
    public (bool Tuned, IReadOnlyList<double>? Biases)? ParseClassBias()
    {
        switch (ClassBias)
        {
            case null: return (false, null);
            case Tuned: return (true, null);
            case IEnumerable<object> list:
                var biases = new List<double>();
                foreach (var item in list)
                {
                    // 1e999 is plain notation but parses to infinity: a bias must be a finite number.
                    if (!double.TryParse(Convert.ToString(item, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var b)
                        || !double.IsFinite(b))
                    {
                        return null;
                    }
                    biases.Add(b);
                }
                return biases.Count > 0 ? (false, biases) : null;
            default: return null;
        }
    }

    /// <summary>The names <c>tune_for</c> may take: the task's evaluation metrics that predictions decide and that grow when better (not the loss, a support count or a confusion cell).</summary>
    public static IReadOnlyList<string> TunableMetrics(IReadOnlyList<string> labels) =>
        FineTuning.EvaluationMetricNames(Task, labels)
            .Where(m => m != "loss" && !m.StartsWith("confusion_", StringComparison.Ordinal) && !m.EndsWith("_number", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// What only the labels tell (so a run checks it before training, and grading at submission): the key each
    /// problem is about and its message.
    /// </summary>
    public IEnumerable<(string Key, string Message)> CheckAgainst(IReadOnlyList<string> labels)
    {
        var tunable = TunableMetrics(labels);
        if (TunedMetric is { } metric && !tunable.Contains(metric))
        {
            yield return ("tune_for", $"tune_for '{TuneFor}' is not a metric the bias can maximise: use one of {string.Join(", ", tunable)}");
        }
        if (ParseClassBias() is { Biases: { } biases } && biases.Count != labels.Count)
        {
            yield return ("class_bias", $"class_bias has {biases.Count} values but the data has {labels.Count} classes: one bias each, in the order {string.Join(", ", labels)}");
        }
    }

    /// <summary><see cref="TuneFor"/> without the <c>eval_</c> prefix metric_for_best_model also accepts.</summary>
    public string? TunedMetric => TuneFor is { } t && t.StartsWith("eval_", StringComparison.Ordinal) ? t["eval_".Length..] : TuneFor;
}
