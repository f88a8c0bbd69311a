using System.Globalization;
using Course.Core.Assignments;
using Course.Core.Content;
using Course.Ml.Data;
using Course.Ml.Training;
using YamlDotNet.RepresentationModel;
using Course.Yaml;

namespace Course.Grading.Submissions;

/// <summary>
/// The training configuration schema narrowed by an assignment: the full schema first (Course.Ml), then the
/// assignment's task, models, allowed keys, ranges and limits, each error at its line. The public splits are
/// the assignment's own: a submission may omit them and may not point anywhere else.
/// </summary>
public static class SubmissionRules
{
    private static readonly string[] TopLevelKeys = ["task", "model_name_or_path", "train_file", "validation_file", "max_seq_length", "training_args"];

    /// <param name="folder">What relative paths in the YAML resolve against (the starter's folder; for a submission, the assignment's).</param>
    public static (TrainingConfig? Config, IReadOnlyList<ContentError> Errors) Check(Assignment assignment, string yaml, string name,
        string datasetsFolder, string folder)
    {
        var rules = assignment.Rules;
        var train = Path.GetFullPath(Path.Combine(datasetsFolder, rules.Dataset!, "train.jsonl"));
        var validation = Path.GetFullPath(Path.Combine(datasetsFolder, rules.Dataset!, "validation.jsonl"));
        var text = YamlText.Parse(yaml, name);
        TrainingConfig config;
        try
        {
            config = TrainingConfig.Parse(text, folder, train, validation);
        }
        catch (TrainingConfigException ex)
        {
            return (null, ex.Errors);
        }
        var errors = new List<ContentError>();
        // TrainingConfig.Parse accepted the text, so its root is a mapping with plain keys.
        var root = (YamlMappingNode)text.Root!;
        void Error(YamlNode node, string message) => errors.Add(new ContentError(name, text.LineOf(node), message));

        // A block is part of the assignment when its list of allowed keys is not empty.
        (string Block, List<string> Allowed)[] blocks = [("preprocessing", rules.AllowedPreprocessing), ("decision", rules.AllowedDecision)];
        var topLevel = TopLevelKeys.Concat(rules.AllowedDataArgs).Concat(blocks.Where(b => b.Allowed.Count > 0).Select(b => b.Block)).ToList();
        foreach (var keyNode in root.Children.Keys)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            if (!topLevel.Contains(key))
            {
                Error(keyNode, $"'{key}' cannot be set in this assignment (allowed: {string.Join(", ", topLevel)})");
            }
        }
        foreach (var (block, allowed) in blocks.Where(b => b.Allowed.Count > 0))
        {
            foreach (var keyNode in (text.Entry(block)?.Value as YamlMappingNode)?.Children.Keys ?? [])
            {
                var key = ((YamlScalarNode)keyNode).Value!;
                if (!allowed.Contains(key))
                {
                    Error(keyNode, $"{block}.{key} cannot be set in this assignment (allowed: {string.Join(", ", allowed)})");
                }
            }
        }
        var trainingArgs = text.Entry("training_args")?.Value as YamlMappingNode ?? new YamlMappingNode();
        foreach (var (keyNode, value) in trainingArgs.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            if (!rules.AllowedTrainingArgs.Contains(key))
            {
                Error(keyNode, $"training_args.{key} cannot be changed in this assignment (allowed: {string.Join(", ", rules.AllowedTrainingArgs)})");
            }
            else if (rules.Ranges.TryGetValue(key, out var range) && value is YamlScalarNode scalar
                && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && (number < range[0] || number > range[1]))
            {
                Error(keyNode, $"training_args.{key} must be within [{range[0]}, {range[1]}] in this assignment, not {scalar.Value}");
            }
        }

        var args = config.TrainingArgs;
        YamlNode? Key(string key) => text.Entry(key)?.Value;
        YamlNode? ArgKey(string key) => text.Entry("training_args", key)?.Value;
        void Limit(bool ok, YamlNode? at, string message)
        {
            if (!ok) errors.Add(new ContentError(name, at is null ? 1 : text.LineOf(at), message));
        }
        Limit(config.Task == rules.Task, Key("task"), $"task must be {rules.Task} in this assignment, not {config.Task}");
        Limit(rules.AllowedModels.Contains(config.ModelNameOrPath!), Key("model_name_or_path"),
            $"model_name_or_path must be one of {string.Join(", ", rules.AllowedModels)}, not {config.ModelNameOrPath}");
        Limit(config.MaxSeqLength <= rules.Limits.MaxSeqLength, Key("max_seq_length"),
            $"max_seq_length may be at most {rules.Limits.MaxSeqLength} in this assignment, not {config.MaxSeqLength}");
        Limit(args.NumTrainEpochs <= rules.Limits.MaxEpochs, ArgKey("num_train_epochs"),
            $"num_train_epochs may be at most {rules.Limits.MaxEpochs} in this assignment, not {args.NumTrainEpochs}");

        Limit(config.TrainFile is null || config.TrainFile == train, Key("train_file"), $"train_file must be the assignment's public train split (datasets/{rules.Dataset}/train.jsonl) or left out");
        Limit(config.ValidationFile is null || config.ValidationFile == validation, Key("validation_file"),
            $"validation_file must be the assignment's public validation split (datasets/{rules.Dataset}/validation.jsonl) or left out");
        if (errors.Count == 0)
        {
            CheckTheRun(assignment, config, ArgKey, Key("task"), text, errors);
        }
        return errors.Count > 0 ? (null, errors) : (config, errors);
    }

    /// <summary>
    /// An assignment's <c>allowed_data_args</c>, <c>allowed_preprocessing</c> and <c>allowed_decision</c> checked against the training schema
    /// (Course.Ml owns it, so this check lives here rather than in the assignment loader): each key must exist and
    /// apply to the assignment's task. Errors are at the list's line in <paramref name="assignmentText"/> (assignment.md).
    /// </summary>
    public static IReadOnlyList<ContentError> CheckAllowedKeys(Assignment assignment, string assignmentText)
    {
        var errors = new List<ContentError>();
        var lines = assignmentText.Split('\n');
        int LineOf(string key) => Array.FindIndex(lines, l => l.StartsWith(key + ":", StringComparison.Ordinal)) + 1 is > 0 and var line ? line : 1;
        void Error(string list, string message) => errors.Add(new ContentError(assignment.SourcePath, LineOf(list), $"{list}: {message}"));
        var task = assignment.Rules.Task;
        // notFor: the tasks a known key applies to ("task X only", "X and Y") when this assignment's is not among them.
        void CheckList(string list, IEnumerable<string> keys, IReadOnlyCollection<string> known, string what, Func<string, string?> notFor)
        {
            foreach (var key in keys)
            {
                if (!known.Contains(key))
                {
                    Error(list, $"'{key}' is not a {what} key (keys: {string.Join(", ", known)})");
                }
                else if (notFor(key) is { } tasks)
                {
                    Error(list, $"'{key}' applies to {tasks}, not to this assignment's {task}");
                }
            }
        }
        var rules = assignment.Rules;
        CheckList("allowed_data_args", rules.AllowedDataArgs, TrainingConfig.DataArgs.Keys.ToList(), "data",
            key => TrainingConfig.DataArgs[key] == task ? null : $"task {TrainingConfig.DataArgs[key]} only");
        CheckList("allowed_preprocessing", rules.AllowedPreprocessing, PreprocessingFile.Keys, "preprocessing",
            key => PreprocessingFile.AppliesTo(key, task) ? null : PreprocessingFile.TasksOf(key));
        CheckList("allowed_decision", rules.AllowedDecision, DecisionFile.Keys, "decision",
            _ => task == DecisionFile.Task ? null : $"task {DecisionFile.Task} only");
        return errors;
    }

    /// <summary>
    /// What would only fail (or silently do nothing) once training ran, known now from the assignment's data: a
    /// <c>metric_for_best_model</c> the task does not report, <c>class_weights</c> or <c>decision.class_bias</c> of the
    /// wrong length, a <c>decision.tune_for</c> that is not a metric of the labels, a
    /// <c>label_mapping</c> onto a name the evaluation splits never use (that class could never be scored right), and
    /// step intervals beyond the run's last step, counted exactly as the Trainer counts them on the capped train split
    /// after data preparation.
    /// Question answering trains on windows of its rows, not rows, so its step count is not known before tokenizing
    /// and its intervals are not checked.
    /// </summary>
    private static void CheckTheRun(Assignment assignment, TrainingConfig config, Func<string, YamlNode?> argKey, YamlNode? taskKey, YamlText text,
        List<ContentError> errors)
    {
        var raw = FineTuning.Load(config.TrainFile!);
        var (train, validation, _, _) = DataPreparation.Prepare(config,
            new Dataset(raw.Take(assignment.Rules.Limits.MaxTrainExamples).ToList()), FineTuning.Load(config.ValidationFile!));
        var args = config.TrainingArgs;
        var labels = FineTuning.LabelNames(config, train, validation);
        // At the key, or at the strategy that brings its default into play when the key is not written.
        void Refuse(string key, string message, string? strategy = null) =>
            errors.Add(new ContentError(text.File, text.LineOf((argKey(key) ?? (strategy is null ? null : argKey(strategy)) ?? taskKey)!), message));

        var metric = args.MetricForBestModel.StartsWith("eval_", StringComparison.Ordinal) ? args.MetricForBestModel["eval_".Length..] : args.MetricForBestModel;
        var metrics = FineTuning.EvaluationMetricNames(config.Task!, labels);
        if (!metrics.Contains(metric))
        {
            var headline = metrics.Where(m => !m.Contains('_') || m == "exact_match").Order(StringComparer.Ordinal);
            Refuse("metric_for_best_model", $"metric_for_best_model '{args.MetricForBestModel}' is not an evaluation metric of {config.Task}: "
                + $"use {string.Join(", ", headline)} or a per-class one such as {metrics.Where(m => m.EndsWith("_f1", StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault() ?? "f1"}");
        }
        if (args.ParseClassWeights() is { Weights: { } weights } && labels is not null && weights.Count != labels.Count)
        {
            Refuse("class_weights", $"class_weights has {weights.Count} values but {assignment.Rules.Dataset} has {labels.Count} classes: one weight each, in the order {string.Join(", ", labels)}");
        }
        if (labels is not null)
        {
            foreach (var (key, message) in config.Decision.CheckAgainst(labels))
            {
                errors.Add(new ContentError(text.File, text.LineOf(text.Entry("decision", key)!.Value.Key), message));
            }
        }
        if (config.Preprocessing.LabelMapping is { } mapping)
        {
            var gold = FineTuning.LabelNames(config, new Dataset([]), validation)!;
            foreach (var (from, to) in mapping.Where(m => !gold.Contains(m.Value)))
            {
                errors.Add(new ContentError(text.File, text.LineOf(text.Entry("preprocessing", "label_mapping", from)!.Value.Key),
                    $"label_mapping maps '{from}' to '{to}', a label the validation split of {assignment.Rules.Dataset} does not have (its labels: {string.Join(", ", gold)})"));
            }
        }
        if (config.Task == "question-answering")
        {
            return;
        }
        var rows = train.Count;
        var total = Trainer.TotalSteps(args.ToArguments(), rows);
        var run = $"this run has {total} steps ({rows} train examples, batch {args.PerDeviceTrainBatchSize}, accumulation {args.GradientAccumulationSteps}, "
            + (args.MaxSteps > 0 ? $"max_steps {args.MaxSteps})" : $"{args.NumTrainEpochs} epochs)");
        if (args.EvalStrategy == "steps" && args.EvalSteps > total)
        {
            Refuse("eval_steps", $"eval_steps {args.EvalSteps} is beyond the last step, so it would never evaluate: {run}", "eval_strategy");
        }
        if (args.SaveStrategy == "steps" && args.SaveSteps > total)
        {
            Refuse("save_steps", $"save_steps {args.SaveSteps} is beyond the last step, so it would never save: {run}", "save_strategy");
        }
        if (argKey("logging_steps") is not null && args.LoggingSteps > total)
        {
            Refuse("logging_steps", $"logging_steps {args.LoggingSteps} is beyond the last step: {run}");
        }
    }
}
