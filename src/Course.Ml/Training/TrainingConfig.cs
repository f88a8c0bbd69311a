using System.Globalization;
using Course.Yaml;
using YamlDotNet.RepresentationModel;

namespace Course.Ml.Training;

/// <summary>
/// The training configuration (one schema; the grading service narrows it per assignment): YAML with the
/// names of HF's example scripts. Relative file paths resolve against the configuration file's folder.
/// </summary>
public sealed partial class TrainingConfig
{
    public string? Task { get; set; }
    public string? ModelNameOrPath { get; set; }
    public string? TrainFile { get; set; }
    public string? ValidationFile { get; set; }
    public string? TestFile { get; set; }
    public string? TextColumnName { get; set; }
    public string? LabelColumnName { get; set; }
    public int MaxSeqLength { get; set; } = 128;

    /// <summary>run_mlm's <c>--mlm_probability</c>: the share of tokens the fill-mask collator masks (HF default 0.15).</summary>
    public double? MlmProbability { get; set; }

    /// <summary>run_ner's <c>--label_all_tokens</c>: every sub-token of a word carries its label (B- becomes I- after the first), not only the first.</summary>
    public bool? LabelAllTokens { get; set; }

    /// <summary>run_qa's <c>--doc_stride</c>: tokens consecutive windows of a long context share (default max_seq_length / 4).</summary>
    public int? DocStride { get; set; }

    /// <summary>run_qa's <c>--max_answer_length</c>: the longest answer span, in tokens, evaluation may predict (default 30).</summary>
    public int? MaxAnswerLength { get; set; }

    /// <summary>run_qa's <c>--n_best_size</c>: spans start among the n highest start logits and end among the n highest end logits (default: every span).</summary>
    public int? NBestSize { get; set; }

    /// <summary>The windows' overlap a question-answering run tokenizes with: doc_stride, or a quarter of max_seq_length.</summary>
    public int QuestionAnsweringStride => DocStride ?? MaxSeqLength / 4;

    /// <summary>How a question-answering evaluation picks answer spans: max_answer_length (default 30) and n_best_size.</summary>
    public Pipelines.QuestionAnsweringOptions AnswerDecoding => new() { MaxAnswerLength = MaxAnswerLength ?? 30, NBestSize = NBestSize };

    public TrainingArgumentsFile TrainingArgs { get; set; } = new();

    /// <summary>The <c>preprocessing:</c> block (ours): cleaning, filtering, labels, balancing, truncation and splits.</summary>
    public PreprocessingFile Preprocessing { get; set; } = new();

    /// <summary>The <c>decision:</c> block (ours, text-classification): a per-class bias on the logits, explicit or tuned on validation.</summary>
    public DecisionFile Decision { get; set; } = new();

    public static readonly string[] Tasks = ["text-classification", "token-classification", "question-answering", "fill-mask"];

    /// <summary>The top-level data keys of HF's example scripts (their <c>DataTrainingArguments</c>) beyond <c>max_seq_length</c>, and the task each applies to.</summary>
    public static readonly IReadOnlyDictionary<string, string> DataArgs = new Dictionary<string, string>
    {
        ["label_all_tokens"] = "token-classification",
        ["doc_stride"] = "question-answering",
        ["max_answer_length"] = "question-answering",
        ["n_best_size"] = "question-answering",
    };

    /// <summary>Reads and validates a configuration; every problem is reported as <c>file:line: message</c>.</summary>
    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new TrainingConfigException([new ContentError(path, 1, Directory.Exists(path) ? "a folder, not a configuration file" : "file not found")]);
        }
        if (new FileInfo(path).Length > YamlReader.MaxCharacters * 4L)
        {
            // Read no further than the YAML reader would: it refuses anything over its size anyway.
            throw new TrainingConfigException([new ContentError(path, 1, $"the file is {new FileInfo(path).Length:N0} bytes; a configuration has at most {YamlReader.MaxCharacters:N0} characters")]);
        }
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// Validates configuration text (e.g. a submission typed in the browser) reported as <paramref name="name"/>;
    /// relative file paths resolve against <paramref name="folder"/>. The default files stand in for
    /// train_file / validation_file when the text leaves them out (an assignment's own splits).
    /// </summary>
    public static TrainingConfig Parse(string yaml, string name, string folder, string? defaultTrainFile = null, string? defaultValidationFile = null) =>
        Parse(YamlText.Parse(yaml, name), folder, defaultTrainFile, defaultValidationFile);

    /// <inheritdoc cref="Parse(string, string, string, string?, string?)"/>
    public static TrainingConfig Parse(YamlText yaml, string folder, string? defaultTrainFile = null, string? defaultValidationFile = null)
    {
        var name = yaml.File;
        var errors = new List<ContentError>(yaml.Errors);
        if (yaml.Root is { } root)
        {
            CheckNumberNotation(root, yaml, errors);
        }
        var config = errors.Count > 0 ? null : YamlReader.Read<TrainingConfig>(yaml.Text, name, 1, errors);
        if (config is null)
        {
            throw new TrainingConfigException(errors.Count > 0 ? errors : [new ContentError(name, 1, "the configuration is empty")]);
        }
        if (config.TrainingArgs is null)
        {
            // "training_args:" with nothing under it is a null mapping, which the checks below would trip over.
            throw new TrainingConfigException([new ContentError(name, yaml.LineOfKey("training_args") ?? 1,
                "training_args is empty: give it arguments (e.g. learning_rate: 5.0e-5) or leave the key out")]);
        }
        if (config.Preprocessing is null)
        {
            throw new TrainingConfigException([new ContentError(name, yaml.LineOfKey("preprocessing") ?? 1,
                "preprocessing is empty: give it steps (e.g. drop_empty: true) or leave the key out")]);
        }
        if (config.Decision is null)
        {
            throw new TrainingConfigException([new ContentError(name, yaml.LineOfKey("decision") ?? 1,
                "decision is empty: give it a class_bias (e.g. class_bias: tuned with tune_for: f1) or leave the key out")]);
        }
        config.TrainFile ??= defaultTrainFile;
        config.ValidationFile ??= defaultValidationFile;
        config.Validate(yaml, errors);
        if (errors.Count > 0)
        {
            throw new TrainingConfigException(errors);
        }
        string? Resolve(string? file) => file is null ? null : Path.GetFullPath(Path.Combine(folder, file));
        (config.TrainFile, config.ValidationFile, config.TestFile) = (Resolve(config.TrainFile), Resolve(config.ValidationFile), Resolve(config.TestFile));
        return config;
    }

    /// <summary>Plain decimal and scientific notation: 8, -1, 0.5, 5e-5, 3.0E+2 (a lone 0 may lead; no other leading zero).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?\z|^[-+]?\.[0-9]+([eE][-+]?[0-9]+)?\z")]
    private static partial System.Text.RegularExpressions.Regex PlainNumber();

    /// <summary>
    /// Refuses numbers in any notation but plain decimal and scientific. YAML 1.1 reads 0x400, 0o20, 020, 1_024
    /// and 17:04 (base 60) as numbers, and .inf and .nan as floats; a checker that parses only decimal text would
    /// let them past its ranges, and a reader would not guess what the author meant. Quoted values are text.
    /// </summary>
    private static void CheckNumberNotation(YamlNode node, YamlText yaml, List<ContentError> errors)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    CheckNumberNotation(value, yaml, errors);
                }
                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    CheckNumberNotation(item, yaml, errors);
                }
                break;
            case YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: { Length: > 0 } text } scalar
                when LooksNumeric(text) && !PlainNumber().IsMatch(text):
                errors.Add(new ContentError(yaml.File, yaml.LineOf(scalar),
                    $"'{text}' is not a plain decimal number: write numbers in decimal or scientific notation (such as 1024, 0.5 or 5.0e-5)"));
                break;
        }

        static bool LooksNumeric(string text)
        {
            var rest = text.TrimStart('+', '-');
            return rest.Length > 0 && (char.IsAsciiDigit(rest[0]) || rest[0] == '.' && (rest.Length == 1 || char.IsAsciiDigit(rest[1]) || rest[1..].ToLowerInvariant() is "inf" or "nan"));
        }
    }

    /// <summary>The schema's checks, each error at the line of the key its message starts with (1 when the key is not written).</summary>
    private void Validate(YamlText yaml, List<ContentError> errors)
    {
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(new ContentError(yaml.File, yaml.LineOfKey(message.Split(' ')[0]) ?? 1, message));
        }
        var a = TrainingArgs;
        Check(Task is not null && Tasks.Contains(Task), $"task must be one of {string.Join(", ", Tasks)}");
        Check(!string.IsNullOrWhiteSpace(ModelNameOrPath), "model_name_or_path is required (a hub id)");
        Check(!string.IsNullOrWhiteSpace(TrainFile), "train_file is required");
        Check(!string.IsNullOrWhiteSpace(ValidationFile), "validation_file is required");
        Check(MaxSeqLength is >= 8 and <= 512, $"max_seq_length must be 8–512, not {MaxSeqLength}");
        Check(MlmProbability is null || Task == "fill-mask", "mlm_probability applies to task fill-mask only");
        Check(MlmProbability is null or > 0 and < 1, $"mlm_probability must be in (0, 1), not {MlmProbability}");
        Check(a.LearningRate is > 0 and <= 1, $"learning_rate must be in (0, 1], not {a.LearningRate}");
        Check(a.PerDeviceTrainBatchSize is >= 1 and <= 1024, $"per_device_train_batch_size must be 1–1024, not {a.PerDeviceTrainBatchSize}");
        Check(a.PerDeviceEvalBatchSize is >= 1 and <= 1024, $"per_device_eval_batch_size must be 1–1024, not {a.PerDeviceEvalBatchSize}");
        Check(a.NumTrainEpochs is > 0 and <= 100, $"num_train_epochs must be in (0, 100], not {a.NumTrainEpochs}");
        Check(a.MaxSteps == -1 || a.MaxSteps is >= 1 and <= 1_000_000, $"max_steps must be -1 or 1–1000000, not {a.MaxSteps}");
        Check(a.WeightDecay is >= 0 and <= 1, $"weight_decay must be 0–1, not {a.WeightDecay}");
        Check(a.WarmupRatio is >= 0 and < 1, $"warmup_ratio must be in [0, 1), not {a.WarmupRatio}");
        Check(a.WarmupSteps >= 0, $"warmup_steps must be ≥ 0, not {a.WarmupSteps}");
        Check(a.LrSchedulerType is "linear" or "cosine" or "constant_with_warmup", $"lr_scheduler_type must be linear, cosine or constant_with_warmup, not '{a.LrSchedulerType}'");
        Check(a.GradientAccumulationSteps is >= 1 and <= 1024, $"gradient_accumulation_steps must be 1–1024, not {a.GradientAccumulationSteps}");
        Check(a.MaxGradNorm >= 0, $"max_grad_norm must be ≥ 0, not {a.MaxGradNorm}");
        Check(a.Seed >= 0, $"seed must be ≥ 0, not {a.Seed}");
        Check(a.EvalStrategy is "no" or "steps" or "epoch", $"eval_strategy must be no, steps or epoch, not '{a.EvalStrategy}'");
        Check(a.EvalSteps >= 1, $"eval_steps must be ≥ 1, not {a.EvalSteps}");
        Check(a.LoggingSteps >= 1, $"logging_steps must be ≥ 1, not {a.LoggingSteps}");
        Check(a.SaveStrategy is "no" or "steps" or "epoch", $"save_strategy must be no, steps or epoch, not '{a.SaveStrategy}'");
        Check(a.SaveSteps >= 1, $"save_steps must be ≥ 1, not {a.SaveSteps}");
        Check(a.SaveTotalLimit >= 0, $"save_total_limit must be ≥ 0, not {a.SaveTotalLimit}");
        Check(!a.LoadBestModelAtEnd || a.EvalStrategy != "no", "load_best_model_at_end needs eval_strategy steps or epoch");
        // HF's TrainingArguments.__post_init__: the best model is chosen among saved checkpoints, so saving follows evaluation.
        Check(!a.LoadBestModelAtEnd || a.EvalStrategy == "no" || a.SaveStrategy == a.EvalStrategy,
            $"load_best_model_at_end needs save_strategy to match eval_strategy, as in Hugging Face: save_strategy {a.EvalStrategy}, not {a.SaveStrategy}");
        Check(!a.LoadBestModelAtEnd || a.EvalStrategy != "steps" || a.SaveStrategy != "steps" || a.SaveSteps % a.EvalSteps == 0,
            $"load_best_model_at_end needs save_steps to be a round multiple of eval_steps, as in Hugging Face: {a.SaveSteps} is not a multiple of {a.EvalSteps}");
        Check(a.EarlyStoppingPatience >= 0, $"early_stopping_patience must be ≥ 0, not {a.EarlyStoppingPatience}");
        Check(a.EarlyStoppingPatience == 0 || a.EvalStrategy != "no", "early_stopping_patience needs eval_strategy steps or epoch");
        // HF's EarlyStoppingCallback asserts it at the start of training.
        Check(a.EarlyStoppingPatience == 0 || a.EvalStrategy == "no" || a.LoadBestModelAtEnd,
            "early_stopping_patience needs load_best_model_at_end: true (as Hugging Face's EarlyStoppingCallback does)");
        Check(!string.IsNullOrWhiteSpace(a.MetricForBestModel), "metric_for_best_model must name an evaluation metric (e.g. f1, accuracy, loss)");
        Check(a.ClassWeights is null || Task is "text-classification" or "token-classification", "class_weights applies to text-classification and token-classification");
        if (a.ClassWeights is not null && a.ParseClassWeights() is null)
        {
            Check(false, $"class_weights must be 'balanced' or a list of positive numbers (one per class in label order), not {Describe(a.ClassWeights)}");
        }
        if (a.FreezeLayers is not null && a.ParseFreezeLayers() is null)
        {
            Check(false, $"freeze_layers must list 'embeddings' and/or a number of encoder layers 0–24, not {Describe(a.FreezeLayers)}");
        }
        ValidateData(Check);
        ValidateDecision(yaml, Check);
    }

    /// <summary>The decision block's own checks; its metric name and list length need the labels (<see cref="DecisionFile.CheckAgainst"/>).</summary>
    private void ValidateDecision(YamlText yaml, Action<bool, string> check)
    {
        var d = Decision;
        check(!d.IsSet || Task == DecisionFile.Task, $"decision applies to task {DecisionFile.Task} only");
        var bias = d.ParseClassBias();
        var written = yaml.Entry("decision", "class_bias")?.Value is YamlScalarNode scalar ? $"'{scalar.Value}'" : yaml.Value("decision", "class_bias");
        check(bias is not null, $"class_bias must be '{DecisionFile.Tuned}' or a list of finite numbers (one per class in label order, added to the logits), not {written}");
        check(bias is not { Tuned: true } || d.TuneFor is not null, "class_bias tuned needs tune_for: the validation metric the bias should maximise (e.g. tune_for: f1)");
        check(d.TuneFor is null || bias is { Tuned: true }, "tune_for applies to class_bias: tuned only (an explicit list is used as written)");
        // Tuned on rows the model trained on, the bias would fit memorised logits and the eval_* figures would flatter twice.
        check(bias is not { Tuned: true } || !Preprocessing.TrainsOnValidation,
            "class_bias tuned is chosen on the validation rows, which train_splits train+validation trains on: tune with train_splits: train, then write the biases it reports as a list");
    }

    /// <summary>The data keys: HF's (label_all_tokens, doc_stride, max_answer_length, n_best_size) and the preprocessing block.</summary>
    private void ValidateData(Action<bool, string> check)
    {
        object?[] dataValues = [LabelAllTokens, DocStride, MaxAnswerLength, NBestSize];
        foreach (var ((key, task), value) in DataArgs.Zip(dataValues))
        {
            check(value is null || Task == task, $"{key} applies to task {task} only");
        }
        check(DocStride is null || DocStride >= 0 && DocStride < MaxSeqLength / 2,
            $"doc_stride must be 0–{MaxSeqLength / 2 - 1} (under half of max_seq_length {MaxSeqLength}), not {DocStride}");
        check(MaxAnswerLength is null || MaxAnswerLength >= 1 && MaxAnswerLength <= MaxSeqLength,
            $"max_answer_length must be 1–{MaxSeqLength} (at most max_seq_length), not {MaxAnswerLength}");
        check(NBestSize is null or >= 1 and <= 100, $"n_best_size must be 1–100, not {NBestSize}");

        var p = Preprocessing;
        string AppliesTo(string key) => $"{key} applies to {PreprocessingFile.TasksOf(key)}";
        if (p.CleanText is { } steps)
        {
            check(steps.All(PreprocessingFile.CleanTextSteps.Contains), $"clean_text must list steps among {string.Join(", ", PreprocessingFile.CleanTextSteps)}, not {Describe(steps)}");
            check(PreprocessingFile.AppliesTo("clean_text", Task), AppliesTo("clean_text") + " (it would move question-answering answer offsets and change token-classification tokens)");
        }
        check(p.MaxCharacters is null or >= 1 and <= 1_000_000, $"max_characters must be 1–1000000, not {p.MaxCharacters}");
        check(p.Deduplicate is null || PreprocessingFile.DeduplicateModes.Contains(p.Deduplicate), $"deduplicate must be exact or normalized, not '{p.Deduplicate}'");
        if (p.LabelMapping is { } mapping)
        {
            check(PreprocessingFile.AppliesTo("label_mapping", Task), AppliesTo("label_mapping"));
            foreach (var (from, to) in mapping)
            {
                check(!string.IsNullOrWhiteSpace(to), $"label_mapping maps '{from}' to an empty name");
                check(to == from || !mapping.ContainsKey(to), $"label_mapping maps '{from}' to '{to}', which it renames too: map each label straight to its final name");
            }
        }
        check(p.ClassBalancing is null || PreprocessingFile.ClassBalancingModes.Contains(p.ClassBalancing), $"class_balancing must be oversample or undersample, not '{p.ClassBalancing}'");
        check(p.ClassBalancing is null || PreprocessingFile.AppliesTo("class_balancing", Task), AppliesTo("class_balancing"));
        check(p.ClassBalancing is null || TrainingArgs.ClassWeights is null, "class_balancing and class_weights both correct class imbalance: use one of them");
        check(PreprocessingFile.TruncationSides.Contains(p.Truncation), $"truncation must be head, tail or head+tail, not '{p.Truncation}'");
        check(p.Truncation == "head" || PreprocessingFile.AppliesTo("truncation", Task),
            AppliesTo("truncation") + " (token-classification keeps the first tokens, question-answering splits the context into windows)");
        check(PreprocessingFile.TrainSplitChoices.Contains(p.TrainSplits), $"train_splits must be train or train+validation, not '{p.TrainSplits}'");
        // Validation rows in the training data cannot choose a checkpoint or stop training early: their scores would flatter.
        check(!p.TrainsOnValidation || TrainingArgs.EvalStrategy == "no",
            "train_splits train+validation trains on the validation rows, so they cannot choose the model: set eval_strategy to no (choose the epochs with train_splits: train first)");
        check(PreprocessingFile.LabelSchemes.Contains(p.LabelScheme), $"label_scheme must be iob2 or iob1, not '{p.LabelScheme}'");
        check(p.LabelScheme == "iob2" || PreprocessingFile.AppliesTo("label_scheme", Task), AppliesTo("label_scheme"));
    }

    private static string Describe(object value) => value is IEnumerable<object> list ? $"[{string.Join(", ", list)}]" : $"'{value}'";
}

/// <summary>The <c>training_args:</c> block: HF TrainingArguments names.</summary>
public sealed class TrainingArgumentsFile
{
    public double LearningRate { get; set; } = 5e-5;
    public int PerDeviceTrainBatchSize { get; set; } = 8;
    public int PerDeviceEvalBatchSize { get; set; } = 8;
    public double NumTrainEpochs { get; set; } = 3;
    public int MaxSteps { get; set; } = -1;
    public double WeightDecay { get; set; }
    public double WarmupRatio { get; set; }
    public int WarmupSteps { get; set; }
    public string LrSchedulerType { get; set; } = "linear";
    public int GradientAccumulationSteps { get; set; } = 1;
    public double MaxGradNorm { get; set; } = 1.0;
    public int Seed { get; set; } = 42;
    public string EvalStrategy { get; set; } = "no";
    public int EvalSteps { get; set; } = 500;
    public int LoggingSteps { get; set; } = 50;
    public string SaveStrategy { get; set; } = "no";
    public int SaveSteps { get; set; } = 500;
    public int SaveTotalLimit { get; set; }
    public bool LoadBestModelAtEnd { get; set; }
    public string MetricForBestModel { get; set; } = "loss";
    public bool? GreaterIsBetter { get; set; }
    public int EarlyStoppingPatience { get; set; }
    public bool Bf16 { get; set; }
    public bool GroupByLength { get; set; }

    /// <summary><c>balanced</c> or a list of numbers: YAML gives a string or a list of strings.</summary>
    public object? ClassWeights { get; set; }

    /// <summary>A list of <c>embeddings</c> and/or N (the first N encoder layers).</summary>
    public List<string>? FreezeLayers { get; set; }

    /// <summary>(balanced, explicit weights), or null when <see cref="ClassWeights"/> is malformed.</summary>
    public (bool Balanced, IReadOnlyList<double>? Weights)? ParseClassWeights()
    {
        switch (ClassWeights)
        {
            case null: return (false, null);
            case string s when s == "balanced": return (true, null);
            case IEnumerable<object> list:
                var weights = new List<double>();
                foreach (var item in list)
                {
                    if (!double.TryParse(Convert.ToString(item, CultureInfo.InvariantCulture), NumberStyles.Float,
                        CultureInfo.InvariantCulture, out var w) || w <= 0 || !double.IsFinite(w))
                    {
                        return null;
                    }
                    weights.Add(w);
                }
                return weights.Count > 0 ? (false, weights) : null;
            default: return null;
        }
    }

    /// <summary>(freeze embeddings, first N layers), or null when <see cref="FreezeLayers"/> is malformed.</summary>
    public (bool Embeddings, int Layers)? ParseFreezeLayers()
    {
        var (embeddings, layers) = (false, 0);
        foreach (var item in FreezeLayers ?? [])
        {
            if (item == "embeddings") embeddings = true;
            else if (int.TryParse(item, out var n) && n is >= 0 and <= 24) layers = n;
            else return null;
        }
        return (embeddings, layers);
    }

    public TrainingArguments ToArguments() => new()
    {
        LearningRate = LearningRate, PerDeviceTrainBatchSize = PerDeviceTrainBatchSize, PerDeviceEvalBatchSize = PerDeviceEvalBatchSize,
        NumTrainEpochs = NumTrainEpochs, MaxSteps = MaxSteps, WeightDecay = WeightDecay, WarmupRatio = WarmupRatio, WarmupSteps = WarmupSteps,
        LrSchedulerType = LrSchedulerType, GradientAccumulationSteps = GradientAccumulationSteps, MaxGradNorm = MaxGradNorm, Seed = Seed,
        EvalStrategy = EvalStrategy, EvalSteps = EvalSteps, LoggingSteps = LoggingSteps,
        SaveStrategy = SaveStrategy, SaveSteps = SaveSteps, SaveTotalLimit = SaveTotalLimit, LoadBestModelAtEnd = LoadBestModelAtEnd,
        MetricForBestModel = MetricForBestModel, GreaterIsBetter = GreaterIsBetter, EarlyStoppingPatience = EarlyStoppingPatience,
        Bf16 = Bf16, GroupByLength = GroupByLength,
        ClassWeights = ParseClassWeights()?.Weights, BalancedClassWeights = ParseClassWeights()?.Balanced ?? false,
        FreezeEmbeddings = ParseFreezeLayers()?.Embeddings ?? false, FreezeEncoderLayers = ParseFreezeLayers()?.Layers ?? 0,
    };
}

/// <summary>A configuration that breaks the schema (or an assignment's rules), each problem at its line.</summary>
public sealed class TrainingConfigException(IReadOnlyList<ContentError> errors) : ConfigurationFailureException(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ContentError> Errors { get; } = errors;
}
