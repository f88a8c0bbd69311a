using System.Globalization;
using Course.Ml.Data;
using Course.Ml.Hub;
using Course.Ml.Metrics;
using Course.Ml.Models;
using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>
/// Runs a <see cref="TrainingConfig"/> end to end, like HF's <c>run_classification.py</c> / <c>run_ner.py</c>:
/// load the files, build labels, tokenize, fine-tune, evaluate on validation (and test when it has labels),
/// optionally save the model into the hub with a generated card.
/// </summary>
/// <summary>A run's metrics (HF's names) and what data preparation did to its training rows.</summary>
public sealed record FineTuningResult(IReadOnlyDictionary<string, double> Metrics, PreparationSummary Preparation);

public static class FineTuning
{
    /// <param name="device">Where the model trains (the process's resolved <c>Ml:Device</c>); batches and optimizer state follow it.</param>
    /// <param name="checkpoints">Time-based checkpoints to resume from and write (a grading job that may be killed).</param>
    public static FineTuningResult Run(TrainingConfig config, ModelHub hub, Device device, string? outputId = null,
        IProgress<TrainerProgress>? progress = null, IProgress<string>? log = null, CancellationToken cancellationToken = default,
        CheckpointSchedule? checkpoints = null)
    {
        var tokenizer = AutoTokenizer.FromPretrained(config.ModelNameOrPath!, hub, log);
        var (train, validation, test, preparation) = DataPreparation.Prepare(config, Load(config.TrainFile!), Load(config.ValidationFile!),
            config.TestFile is null ? null : Load(config.TestFile));
        log?.Report(preparation.ToString());
        if (config.Preprocessing.TrainsOnValidation)
        {
            log?.Report($"train_splits train+validation: the {validation.Count} validation rows are in the training data, so eval_* figures are not held-out estimates");
        }
        var args = config.TrainingArgs.ToArguments();
        // HF's set_seed before the model is built: the new head's initial weights follow the seed too, so the same
        // configuration gives the same result (the grading receipt relies on it).
        manual_seed(args.Seed);
        // Checkpoints go into the model's hub folder (HF: output_dir/checkpoint-N); without --output nothing is kept.
        var output = new Output(config, hub, outputId,
            outputId is not null ? hub.PathOf(outputId) : args.SaveStrategy != "no" ? Path.Combine(Path.GetTempPath(), $"course-train-{Guid.NewGuid():N}") : null,
            checkpoints);
        try
        {
            var metrics = config.Task switch
            {
                "text-classification" => TextClassification(config, hub, device, tokenizer, train, validation, test, args, output, progress, log, cancellationToken),
                "token-classification" => TokenClassification(config, hub, device, tokenizer, train, validation, test, args, output, progress, log, cancellationToken),
                "question-answering" => QuestionAnswering(config, hub, device, tokenizer, train, validation, test, args, output, progress, log, cancellationToken),
                "fill-mask" => FillMask(config, hub, device, tokenizer, train, validation, test, args, output, progress, log, cancellationToken),
                _ => throw new NotSupportedException($"./course train does not fine-tune '{config.Task}'."),
            };
            // Marks figures computed on rows the model trained on, for whoever reads the metrics without the log.
            return new FineTuningResult(config.Preprocessing.TrainsOnValidation
                ? new Dictionary<string, double>(metrics) { [ValidationTrainedOnMetric] = validation.Count }
                : metrics, preparation);
        }
        catch (Exception ex) when (TrainingOutOfMemoryException.IsTorchOutOfMemory(ex))
        {
            throw new TrainingOutOfMemoryException(ex);
        }
        finally
        {
            if (outputId is null && output.Directory is not null && Directory.Exists(output.Directory))
            {
                Directory.Delete(output.Directory, recursive: true);
            }
        }
    }

    /// <summary>Where a run writes (its checkpoints and, with an id, the final model) and how it saves a model there.</summary>
    private sealed record Output(TrainingConfig Config, ModelHub Hub, string? Id, string? Directory, CheckpointSchedule? Checkpoints)
    {
        public Action<string> Saver(nn.Module model, Models.Bert.BertConfig modelConfig, string task) =>
            folder => Save(model, modelConfig, Config, Hub, folder, Id ?? Path.GetFileName(folder), task, new Dictionary<string, double>());
    }

    /// <summary>With <c>train_splits: train+validation</c>: how many validation rows the model trained on (so eval_* is not held out).</summary>
    public const string ValidationTrainedOnMetric = "eval_rows_trained_on";

    public static Dataset Load(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".json" => Dataset.FromJsonLines(path),
        ".csv" or ".tsv" => Dataset.FromCsv(path),
        ".conll" or ".txt" => Dataset.FromConll(path),
        var other => throw new InvalidDataException($"{path}: unsupported data file type '{other}' (jsonl, csv, tsv, conll)."),
    };

    /// <summary>
    /// The label names a classification run trains with, in id order: the classes of train ∪ validation sorted
    /// ordinally, or the tags with <c>O</c> first (token classification); null for the other tasks.
    /// </summary>
    public static IReadOnlyList<string>? LabelNames(TrainingConfig config, Dataset train, Dataset validation) => config.Task switch
    {
        "text-classification" => train.Concat(validation).Select(r => ClassificationLabelOf(r, DataPreparation.LabelColumn(config)))
            .Distinct().Order(StringComparer.Ordinal).ToList(),
        "token-classification" => train.Concat(validation).SelectMany(r => r.Get<string[]>(DataPreparation.LabelColumn(config))).Distinct()
            .OrderBy(t => t == "O" ? "" : t, StringComparer.Ordinal).ToList(),
        _ => null,
    };

    private static string ClassificationLabelOf(Row row, string labelColumn) =>
        DataPreparation.LabelText(row, labelColumn) ?? throw new InvalidDataException($"a row has no '{labelColumn}' column");

    /// <summary>
    /// The names (without <c>eval_</c>) an evaluation of this task reports while training, so what
    /// <c>metric_for_best_model</c> may name: the loss, the task's metrics, and per class (or entity type) its
    /// precision, recall, F1 and support, and a classifier's confusion cells. Perplexity is derived after training only.
    /// </summary>
    public static IReadOnlySet<string> EvaluationMetricNames(string task, IReadOnlyList<string>? labels)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "loss" };
        string[] perClass = ["precision", "recall", "f1", "number"];
        switch (task)
        {
            case "text-classification":
                names.UnionWith(["accuracy", "f1", "precision", "recall"]);
                names.UnionWith(labels!.SelectMany(l => perClass.Select(m => $"{l}_{m}")));
                names.UnionWith(labels!.SelectMany(g => labels!.Select(p => $"confusion_{g}_{p}")));
                break;
            case "token-classification":
                names.UnionWith(["precision", "recall", "f1", "accuracy"]);
                var types = labels!.Where(t => t.Length > 2 && t[1] == '-').Select(t => t[2..]).Distinct();
                names.UnionWith(types.SelectMany(t => perClass.Select(m => $"{t}_{m}")));
                break;
            case "question-answering":
                names.UnionWith(["exact_match", "f1"]);
                break;
        }
        return names;
    }

    private static IReadOnlyDictionary<string, double> TextClassification(TrainingConfig config, ModelHub hub, Device device, PreTrainedTokenizer tokenizer,
        Dataset train, Dataset validation, Dataset? test, TrainingArguments args, Output output,
        IProgress<TrainerProgress>? progress, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var textColumn = DataPreparation.TextColumn(config, train);
        var labelColumn = DataPreparation.LabelColumn(config);
        string LabelOf(Row row) => ClassificationLabelOf(row, labelColumn);
        var labels = new ClassLabel(LabelNames(config, train, validation)!);
        IReadOnlyList<Features> Featurize(Dataset data) => Cache(hub).GetOrCreate(data,
            $"text-classification|{Recipe(tokenizer, config)}|{textColumn}|{labelColumn}|{string.Join('\u001f', labels.Names)}",
            d => d.Select(row => Preprocessing.SequenceClassification(tokenizer, row.Get<string>(textColumn), labels.StrToInt(LabelOf(row)), config.MaxSeqLength,
                config.Preprocessing.Truncation)).ToList());

        var decision = config.Decision;
        if (decision.CheckAgainst(labels.Names).Select(p => p.Message).ToList() is [_, ..] problems)
        {
            throw new InvalidDataException(string.Join(Environment.NewLine, problems));
        }
        // The explicit bias from the start; a tuned one from the end of training on (evaluations while training, and
        // so the best checkpoint, use the plain argmax).
        var bias = decision.ParseClassBias()!.Value.Biases?.ToArray();

        var (model, report) = AutoModelForSequenceClassification.FromPretrained(config.ModelNameOrPath!, hub, labels.Names, log, device);
        using var _ = model;
        log?.Report($"new head weights: {string.Join(", ", report.MissingKeys)}");
        static List<int> Gold(EvalPrediction p) => p.LabelIds.Select(l => (int)l[0]).ToList();
        IReadOnlyDictionary<string, double> Metrics(EvalPrediction p) => Scores(Gold(p), ThresholdMoving.Predict(p.Predictions, bias));
        Dictionary<string, double> Scores(IReadOnlyList<int> references, IReadOnlyList<int> predicted)
        {
            var r = ClassificationMetrics.Compute(references, predicted, labels.Names);
            var metrics = new Dictionary<string, double> { ["accuracy"] = r.Accuracy, ["f1"] = r.MacroF1, ["precision"] = r.MacroPrecision, ["recall"] = r.MacroRecall };
            AddPerClass(metrics, r.PerClass.Select(c => (c.Label, c.Precision, c.Recall, c.F1, c.Support)));
            for (var gold = 0; gold < labels.NumClasses; gold++)
            {
                for (var guess = 0; guess < labels.NumClasses; guess++)
                {
                    metrics[$"confusion_{labels.Names[gold]}_{labels.Names[guess]}"] = r.ConfusionMatrix[gold, guess];
                }
            }
            return metrics;
        }
        var trainFeatures = Featurize(train);
        using var weights = ClassWeighting.For(args, trainFeatures.Select(f => f.Label!.Value), labels, device);
        var trainer = new Trainer(model, b => weights is null
                ? model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels)
                : ClassWeighting.Weighted(model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds), b.Labels!, weights), args,
            trainFeatures, Featurize(validation), new DataCollatorWithPadding(tokenizer), Metrics, progress,
            output.Saver(model, model.Config, "text-classification"), output.Directory);
        // After training (and load_best_model_at_end): the validation logits once, the bias tuned on them, and the
        // plain-argmax figures beside the biased eval_* ones.
        IReadOnlyDictionary<string, double> Decide()
        {
            var validationLogits = trainer.Predict();
            var gold = Gold(validationLogits);
            var plain = Scores(gold, ThresholdMoving.Predict(validationLogits.Predictions, null));
            if (decision.ParseClassBias() is { Tuned: true })
            {
                bias = ThresholdMoving.Tune(validationLogits.Predictions, labels.NumClasses, predicted => Scores(gold, predicted)[decision.TunedMetric!]);
                log?.Report($"class_bias tuned for {decision.TunedMetric} on validation: {string.Join(", ", labels.Names.Zip(bias, (l, b) => $"{l} {b:+0.0;-0.0;0}"))}");
            }
            var biases = labels.Names.Select((label, i) => KeyValuePair.Create($"{DecisionBiasMetric}{label}", bias![i]));
            var plainFigures = DecisionFile.TunableMetrics(labels.Names).Select(m => KeyValuePair.Create($"{NoBiasPrefix}{m}", plain[m]));
            return new Dictionary<string, double>(biases.Concat(plainFigures));
        }
        return Finish(trainer, test is null || !test.ColumnNames.Contains(labelColumn) ? null : () => trainer.Evaluate(Featurize(test), "test", IsBootstrapped),
            null, cancellationToken, model, () => bias is null ? model.Config : model.Config with { ClassBias = [.. bias] }, output, "text-classification",
            decision.ClassBias is null ? null : Decide);
    }

    /// <summary>With a <c>decision:</c> block: the bias of each class, as <c>decision_bias_{label}</c>.</summary>
    public const string DecisionBiasMetric = "decision_bias_";

    /// <summary>With a <c>decision:</c> block: the validation figures of the plain argmax (no bias), as <c>eval_no_bias_{metric}</c>.</summary>
    public const string NoBiasPrefix = "eval_no_bias_";

    private static IReadOnlyDictionary<string, double> TokenClassification(TrainingConfig config, ModelHub hub, Device device, PreTrainedTokenizer tokenizer,
        Dataset train, Dataset validation, Dataset? test, TrainingArguments args, Output output,
        IProgress<TrainerProgress>? progress, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var tokensColumn = DataPreparation.TextColumn(config, train);
        var tagsColumn = DataPreparation.LabelColumn(config);
        var labels = new ClassLabel(LabelNames(config, train, validation)!);
        // label_all_tokens labels the training features only: evaluation stays one tag per word (its first sub-token),
        // so seqeval scores words whatever the configuration chose and submissions stay comparable.
        IReadOnlyList<Features> Featurize(Dataset data, IReadOnlyList<int>? continuation = null) => Cache(hub).GetOrCreate(data,
            $"token-classification|{Recipe(tokenizer, config)}|{tokensColumn}|{tagsColumn}|{string.Join('\u001f', labels.Names)}|{continuation is not null}",
            d => d.Select(row => Preprocessing.TokenClassification(tokenizer, row.Get<string[]>(tokensColumn),
                row.Get<string[]>(tagsColumn).Select(labels.StrToInt).ToList(), config.MaxSeqLength, continuation)).ToList());

        var (model, report) = AutoModelForTokenClassification.FromPretrained(config.ModelNameOrPath!, hub, labels.Names, log, device);
        using var _ = model;
        log?.Report($"new head weights: {string.Join(", ", report.MissingKeys)}");
        IReadOnlyDictionary<string, double> Metrics(EvalPrediction p)
        {
            var (references, predictions) = (new List<IReadOnlyList<string>>(), new List<IReadOnlyList<string>>());
            for (var row = 0; row < p.Predictions.Length; row++)
            {
                var gold = p.LabelIds[row];
                var (refTags, predTags) = (new List<string>(), new List<string>());
                for (var t = 0; t < gold.Length; t++)
                {
                    if (gold[t] == Preprocessing.IgnoreIndex) continue;
                    var logits = p.Predictions[row].AsSpan(t * labels.NumClasses, labels.NumClasses);
                    refTags.Add(labels.IntToStr((int)gold[t]));
                    predTags.Add(labels.IntToStr(logits.IndexOf(MaxOf(logits))));
                }
                references.Add(refTags);
                predictions.Add(predTags);
            }
            var r = Seqeval.Compute(references, predictions);
            var metrics = new Dictionary<string, double> { ["precision"] = r.OverallPrecision, ["recall"] = r.OverallRecall, ["f1"] = r.OverallF1, ["accuracy"] = r.OverallAccuracy };
            AddPerClass(metrics, r.PerType.Select(t => (t.Type, t.Precision, t.Recall, t.F1, t.Number)));
            return metrics;
        }
        var trainFeatures = Featurize(train, config.LabelAllTokens == true ? Preprocessing.ContinuationLabels(labels) : null);
        using var weights = ClassWeighting.For(args, trainFeatures.SelectMany(f => f.Labels!), labels, device);
        var trainer = new Trainer(model, b => weights is null
                ? model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels)
                : ClassWeighting.Weighted(model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds), b.Labels!, weights), args,
            trainFeatures, Featurize(validation), new DataCollatorForTokenClassification(tokenizer), Metrics, progress,
            output.Saver(model, model.Config, "token-classification"), output.Directory);
        return Finish(trainer, test is null || !test.ColumnNames.Contains(tagsColumn) ? null : () => trainer.Evaluate(Featurize(test), "test", IsBootstrapped),
            null, cancellationToken, model, () => model.Config, output, "token-classification");
    }

    /// <summary>SQuAD-form rows (id, question, context, answers.text / answers.answer_start) in overlapping windows.</summary>
    private static IReadOnlyDictionary<string, double> QuestionAnswering(TrainingConfig config, ModelHub hub, Device device, PreTrainedTokenizer tokenizer,
        Dataset train, Dataset validation, Dataset? test, TrainingArguments args, Output output,
        IProgress<TrainerProgress>? progress, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var stride = config.QuestionAnsweringStride;
        static (string Text, int Start) FirstAnswer(Row row)
        {
            var answers = row.Get<Dictionary<string, object?>>("answers");
            var texts = (string[])answers["text"]!;
            var starts = (long[])answers["answer_start"]!;
            return texts.Length > 0 ? (texts[0], (int)starts[0]) : throw new InvalidDataException($"question {row.GetValueOrDefault("id")} has no answer");
        }
        List<Features> TrainFeatures(Dataset data) => data.SelectMany(row =>
        {
            var (text, start) = FirstAnswer(row);
            return Preprocessing.QuestionAnswering(tokenizer, row.Get<string>("question"), row.Get<string>("context"), start, text, config.MaxSeqLength, stride);
        }).ToList();

        // Evaluation windows remember their example and encoding so predicted spans map back to context text.
        (List<Features> Features, List<(int Example, Tokenization.Encoding Window)> Windows) EvalFeatures(Dataset data)
        {
            var features = new List<Features>();
            var windows = new List<(int, Tokenization.Encoding)>();
            for (var i = 0; i < data.Count; i++)
            {
                var first = tokenizer.Encode(data[i].Get<string>("question"), data[i].Get<string>("context"), new TokenizerOptions
                {
                    Truncation = TruncationStrategy.OnlySecond, MaxLength = config.MaxSeqLength, Stride = stride, ReturnOverflowingTokens = true,
                });
                var (text, start) = FirstAnswer(data[i]);
                foreach (var window in first.Overflowing.Prepend(first))
                {
                    // Real positions, so eval_loss means what the training loss means.
                    var (s, e) = Preprocessing.AnswerPositions(window, start, start + text.Length);
                    features.Add(new Features(window.InputIds, window.AttentionMask, window.TokenTypeIds, StartPosition: s, EndPosition: e));
                    windows.Add((i, window));
                }
            }
            return (features, windows);
        }

        // The questions' scores of the latest evaluation: a row of the evaluation set is a window, so the hidden
        // split's bootstrap resamples these instead of the rows.
        IReadOnlyList<(double ExactMatch, double F1)> questionScores = [];
        Func<EvalPrediction, IReadOnlyDictionary<string, double>> Metrics(Dataset data, List<(int Example, Tokenization.Encoding Window)> windows) => p =>
        {
            var best = new Dictionary<int, Pipelines.QuestionAnswer>();
            var settings = config.AnswerDecoding;
            for (var w = 0; w < p.Predictions.Length; w++)
            {
                var (example, window) = windows[w];
                var half = p.Predictions[w].Length / 2;
                var start = p.Predictions[w].AsSpan(0, window.Length);
                var end = p.Predictions[w].AsSpan(half, window.Length);
                foreach (var answer in Pipelines.QuestionAnsweringPipeline.Decode(window, start, end, data[example].Get<string>("context"), settings))
                {
                    if (!best.TryGetValue(example, out var current) || answer.Score > current.Score)
                    {
                        best[example] = answer;
                    }
                }
            }
            var gold = Enumerable.Range(0, data.Count).ToDictionary(i => data[i].Get<string>("id"),
                i => (IReadOnlyList<string>)(string[])data[i].Get<Dictionary<string, object?>>("answers")["text"]!);
            var predicted = best.ToDictionary(b => data[b.Key].Get<string>("id"), b => b.Value.Answer);
            questionScores = SquadMetrics.PerQuestion(gold, predicted);
            return QuestionMetrics(questionScores);
        };

        var (model, report) = AutoModelForQuestionAnswering.FromPretrained(config.ModelNameOrPath!, hub, log, device);
        using var _ = model;
        log?.Report($"new head weights: {string.Join(", ", report.MissingKeys)}");
        var (evalFeatures, evalWindows) = EvalFeatures(validation);
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.StartPositions, b.EndPositions), args,
            TrainFeatures(train), evalFeatures, new DataCollatorWithPadding(tokenizer), Metrics(validation, evalWindows), progress,
            output.Saver(model, model.Config, "question-answering"), output.Directory);
        // Test windows need their own span decoding, hence a trainer whose compute_metrics knows them.
        IReadOnlyDictionary<string, double> EvaluateTest()
        {
            var (testFeatures, testWindows) = EvalFeatures(test!);
            var metrics = new Dictionary<string, double>(new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.StartPositions, b.EndPositions), args,
                [], testFeatures, new DataCollatorWithPadding(tokenizer), Metrics(test!, testWindows)).Evaluate(prefix: "test"));
            var scores = questionScores;
            var intervals = Bootstrap.Intervals(scores.Count, rows => QuestionMetrics(rows.Select(r => scores[r]).ToList()), ["exact_match", "f1"]);
            foreach (var (name, (low, high)) in intervals)
            {
                (metrics[$"test_{name}_ci95_low"], metrics[$"test_{name}_ci95_high"]) = (low, high);
            }
            return metrics;
        }
        return Finish(trainer, test is not null && test.ColumnNames.Contains("answers") ? EvaluateTest : null,
            null, cancellationToken, model, () => model.Config, output, "question-answering");
    }

    /// <summary>SQuAD's exact_match and f1 (0–100): the means of the questions' scores.</summary>
    private static Dictionary<string, double> QuestionMetrics(IReadOnlyList<(double ExactMatch, double F1)> scores)
    {
        var (exact, f1) = SquadMetrics.Mean(scores);
        return new() { ["exact_match"] = exact, ["f1"] = f1 };
    }

    /// <summary>Masked-language-model training on plain text (<c>mlm_probability</c> of the tokens masked, 80/10/10); reports loss and perplexity.</summary>
    private static IReadOnlyDictionary<string, double> FillMask(TrainingConfig config, ModelHub hub, Device device, PreTrainedTokenizer tokenizer,
        Dataset train, Dataset validation, Dataset? test, TrainingArguments args, Output output,
        IProgress<TrainerProgress>? progress, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var textColumn = DataPreparation.TextColumn(config, train);
        List<Features> Featurize(Dataset data) => data.Select(row =>
            Preprocessing.EncodeText(tokenizer, row.Get<string>(textColumn), config.MaxSeqLength, config.Preprocessing.Truncation)).ToList();

        var (model, report) = AutoModelForMaskedLM.FromPretrained(config.ModelNameOrPath!, hub, log, device);
        using var _ = model;
        log?.Report($"new head weights: {string.Join(", ", report.MissingKeys)}");
        var trainFeatures = Featurize(train);
        if (report.MissingKeys.Contains("cls.predictions.bias"))
        {
            model.InitializeBiasFromUnigrams(trainFeatures.SelectMany(f => f.InputIds).Where(id => !tokenizer.IsSpecial(id)));
        }
        var trainer = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), args,
            trainFeatures, Featurize(validation), new DataCollatorForLanguageModeling(tokenizer, config.MlmProbability ?? 0.15, args.Seed), progress: progress,
            saveModel: output.Saver(model, model.Config, "fill-mask"), outputDir: output.Directory);
        static void Perplexities(Dictionary<string, double> metrics)
        {
            foreach (var split in new[] { "eval", "test" }.Where(p => metrics.ContainsKey($"{p}_loss")))
            {
                metrics[$"{split}_perplexity"] = ClassificationMetrics.Perplexity(metrics[$"{split}_loss"]);
            }
        }
        return Finish(trainer, test is null ? null : () => trainer.Evaluate(Featurize(test), "test", IsBootstrapped),
            Perplexities, cancellationToken, model, () => model.Config, output, "fill-mask");
    }

    private static FeatureCache Cache(ModelHub hub) => new(Path.Combine(hub.CachePath, "features"));

    /// <summary>What tokenization depends on besides the data: the tokenizer (and its vocabulary), the length limit and which tokens a long text keeps.</summary>
    private static string Recipe(PreTrainedTokenizer tokenizer, TrainingConfig config) =>
        $"{tokenizer.NameOrPath}|{tokenizer.Algorithm}|{tokenizer.VocabSize}|{config.MaxSeqLength}|{config.Preprocessing.Truncation}";

    /// <summary>Per class (or entity type), as HF evaluate's seqeval reports per type: <c>{label}_precision</c>, …, <c>{label}_number</c>.</summary>
    private static void AddPerClass(Dictionary<string, double> metrics, IEnumerable<(string Label, double Precision, double Recall, double F1, int Number)> classes)
    {
        foreach (var (label, precision, recall, f1, number) in classes)
        {
            (metrics[$"{label}_precision"], metrics[$"{label}_recall"], metrics[$"{label}_f1"], metrics[$"{label}_number"]) = (precision, recall, f1, number);
        }
    }

    /// <summary>
    /// The hidden split's headline metrics get bootstrap intervals; per-class figures and confusion cells do not,
    /// and question-answering resamples its questions, not its rows (a row there is a window, not an example).
    /// </summary>
    private static bool IsBootstrapped(string metric) => IsHeadline("test_" + metric);

    /// <summary>An overall metric (eval_f1, eval_exact_match), not a per-class or confusion entry.</summary>
    private static bool IsHeadline(string key) => key[5..] is "exact_match" or "perplexity" || !key[5..].Contains('_');

    private static float MaxOf(ReadOnlySpan<float> values)
    {
        var max = float.NegativeInfinity;
        foreach (var v in values) max = Math.Max(max, v);
        return max;
    }

    /// <summary>Train, evaluate on validation (and test), derive extra metrics, save to the hub when asked.</summary>
    /// <param name="modelConfig">The configuration the saved model gets, asked for after <paramref name="decide"/>.</param>
    /// <param name="decide">After training, before the evaluations: fixes how predictions are decided (a text classifier's
    /// class bias) and returns metrics about it.</param>
    private static IReadOnlyDictionary<string, double> Finish(Trainer trainer, Func<IReadOnlyDictionary<string, double>>? evaluateTest,
        Action<Dictionary<string, double>>? derive, CancellationToken cancellationToken,
        nn.Module model, Func<Models.Bert.BertConfig> modelConfig, Output output, string task, Func<IReadOnlyDictionary<string, double>>? decide = null)
    {
        var metrics = new Dictionary<string, double>(trainer.Train(cancellationToken, output.Checkpoints));
        var decided = decide?.Invoke() ?? new Dictionary<string, double>();
        foreach (var (name, value) in decided.Concat(trainer.Evaluate()).Concat(evaluateTest?.Invoke() ?? new Dictionary<string, double>()))
        {
            metrics[name] = value;
        }
        derive?.Invoke(metrics);
        if (output.Id is not null)
        {
            Save(model, modelConfig(), output.Config, output.Hub, output.Directory!, output.Id, task, metrics);
        }
        return metrics;
    }

    /// <summary>The dataset's folder name: a card is shown on the site, so it never carries a path of the server.</summary>
    private static string? DatasetName(string? file) => Path.GetFileName(Path.GetDirectoryName(file));

    private static void Save(nn.Module model, Models.Bert.BertConfig modelConfig, TrainingConfig config, ModelHub hub, string folder, string outputId,
        string task, IReadOnlyDictionary<string, double> metrics)
    {
        PreTrainedBert.Save(model, modelConfig, folder);
        var source = hub.Resolve(config.ModelNameOrPath!);
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "spiece.model" })
        {
            if (File.Exists(Path.Combine(source, file)))
            {
                File.Copy(Path.Combine(source, file), Path.Combine(folder, file), overwrite: true);
            }
        }
        var a = config.TrainingArgs;
        var biases = metrics.Where(m => m.Key.StartsWith(DecisionBiasMetric, StringComparison.Ordinal)).Select(m => $"{m.Key[DecisionBiasMetric.Length..]} {m.Value}").ToList();
        var decision = biases.Count == 0 ? "" : $"\nPredictions add a bias per class to the logits (`class_bias` in config.json): {string.Join(", ", biases)}"
            + (config.Decision.TunedMetric is { } tunedFor ? $", tuned for {tunedFor} on the validation split, so the validation figures below are optimistic." : ".");
        File.WriteAllText(Path.Combine(folder, "README.md"), $"""
            ---
            pipeline_tag: {task}
            library_name: course-platform
            language:
              - en
            license: apache-2.0
            base_model: {config.ModelNameOrPath}
            datasets:
              - {DatasetName(config.TrainFile)}
            metrics:
            {string.Join("\n", metrics.Keys.Where(k => k.StartsWith("eval_", StringComparison.Ordinal) && k != "eval_loss" && IsHeadline(k)).Select(k => $"  - {k[5..]}"))}
            ---

            # {outputId}

            {config.ModelNameOrPath} fine-tuned for {task} with `./course train` on this platform.

            ## Intended use

            Course demonstrations and exercises on data like its training data. Labels: {string.Join(", ", modelConfig.Labels)}.

            ## Training data

            Train: `{Path.GetFileName(config.TrainFile)}`{(config.Preprocessing.TrainsOnValidation ? " and the validation rows (train_splits: train+validation, so the evaluation below is not held out)" : "")}; validation: `{Path.GetFileName(config.ValidationFile)}` of the dataset `{DatasetName(config.TrainFile)}`.

            ## Training procedure

            learning_rate {a.LearningRate}, per_device_train_batch_size {a.PerDeviceTrainBatchSize}, num_train_epochs {a.NumTrainEpochs},
            max_steps {a.MaxSteps}, weight_decay {a.WeightDecay}, warmup_ratio {a.WarmupRatio}, lr_scheduler_type {a.LrSchedulerType},
            gradient_accumulation_steps {a.GradientAccumulationSteps}, max_grad_norm {a.MaxGradNorm}, seed {a.Seed}, max_seq_length {config.MaxSeqLength}.{decision}

            ## Evaluation

            {string.Join("\n", metrics.Where(m => (m.Key.StartsWith("eval_") || m.Key.StartsWith("test_")) && !m.Key.Contains("_confusion_")).Select(m => $"- {m.Key}: {m.Value:0.####}"))}

            ## Limitations

            Small training sets written for a course; expect errors on text unlike them. Not for decisions about people.
            """);
    }
}
