namespace Course.Ml.Training;

/// <summary>
/// The <c>preprocessing:</c> block: data preparation Hugging Face's example scripts leave to the user's own
/// <c>datasets</c> code (<c>map</c> and <c>filter</c> calls), named here so a configuration can carry it.
/// <see cref="Data.DataPreparation"/> applies it; the order is fixed and documented there.
/// </summary>
public sealed class PreprocessingFile
{
    public static readonly string[] CleanTextSteps = ["normalize_unicode", "strip_html", "strip_urls", "normalize_whitespace"];
    public static readonly string[] DeduplicateModes = ["exact", "normalized"];
    public static readonly string[] ClassBalancingModes = ["oversample", "undersample"];
    public static readonly string[] TruncationSides = ["head", "tail", "head+tail"];
    public static readonly string[] TrainSplitChoices = ["train", "train+validation"];
    public static readonly string[] LabelSchemes = ["iob2", "iob1"];

    /// <summary>The keys of the block, as an assignment's <c>allowed_preprocessing</c> names them.</summary>
    public static readonly string[] Keys =
        ["clean_text", "drop_empty", "max_characters", "deduplicate", "label_mapping", "class_balancing", "truncation", "train_splits", "label_scheme"];

    /// <summary>The tasks a key applies to; a key not listed applies to every task.</summary>
    private static readonly Dictionary<string, string[]> TasksOfKey = new()
    {
        ["clean_text"] = ["text-classification", "fill-mask"],
        ["truncation"] = ["text-classification", "fill-mask"],
        ["label_mapping"] = ["text-classification", "token-classification"],
        ["class_balancing"] = ["text-classification"],
        ["label_scheme"] = ["token-classification"],
    };

    public static bool AppliesTo(string key, string? task) => !TasksOfKey.TryGetValue(key, out var tasks) || tasks.Contains(task);

    /// <summary>"task X only" or "X and Y": the end of a message that a key does not apply to a task.</summary>
    public static string TasksOf(string key) => TasksOfKey[key] is [var only] ? $"task {only} only" : string.Join(" and ", TasksOfKey[key]);

    /// <summary>Text cleaning steps, applied to the text of every split (always in the order of <see cref="CleanTextSteps"/>).</summary>
    public List<string>? CleanText { get; set; }

    /// <summary>Drop training rows whose text (after cleaning) is empty or blank, or whose label is missing.</summary>
    public bool DropEmpty { get; set; }

    /// <summary>Drop training rows whose text (after cleaning) is longer than this many characters.</summary>
    public int? MaxCharacters { get; set; }

    /// <summary><c>exact</c> or <c>normalized</c> (case, punctuation and spacing ignored): drop repeated training rows.</summary>
    public string? Deduplicate { get; set; }

    /// <summary>Old label (or NER tag) → new name, applied to the training rows; several old names may merge into one.</summary>
    public Dictionary<string, string>? LabelMapping { get; set; }

    /// <summary><c>oversample</c> or <c>undersample</c> the training rows to equal class counts (seeded by <c>training_args.seed</c>).</summary>
    public string? ClassBalancing { get; set; }

    /// <summary>Which tokens a text longer than <c>max_seq_length</c> keeps: <c>head</c>, <c>tail</c> or <c>head+tail</c>.</summary>
    public string Truncation { get; set; } = "head";

    /// <summary><c>train</c>, or <c>train+validation</c>: the final model also trains on the validation rows.</summary>
    public string TrainSplits { get; set; } = "train";

    /// <summary>The training tags' scheme: <c>iob2</c> (as used), or <c>iob1</c> (converted to IOB2 before training).</summary>
    public string LabelScheme { get; set; } = "iob2";

    public bool TrainsOnValidation => TrainSplits == "train+validation";
}
