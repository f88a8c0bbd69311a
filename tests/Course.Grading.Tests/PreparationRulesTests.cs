using Course.Core.Assignments;
using Course.Core.Content;
using Course.Grading.Submissions;
using Course.Tests.Shared;
using Course.Yaml;

namespace Course.Grading.Tests;

/// <summary>
/// The data and decision keys narrowed by an assignment: <c>allowed_preprocessing</c>, <c>allowed_data_args</c>,
/// <c>allowed_decision</c>, label mapping onto real labels, a class bias checked against the labels, steps counted after preparation.
/// </summary>
public class PreparationRulesTests
{
    private const string Allowed = "allowed_training_args: [learning_rate, num_train_epochs, seed]";

    private static AssignmentFolder Folder(string lists) =>
        new(AssignmentFolder.Rules.Replace(Allowed, Allowed.Replace("seed]", "seed, per_device_train_batch_size, eval_strategy, eval_steps]") + "\n" + lists));

    private static (Course.Ml.Training.TrainingConfig? Config, IReadOnlyList<ContentError> Errors) Check(AssignmentFolder folder, string yaml) =>
        SubmissionRules.Check(folder.Load().Assignment!, yaml, "submission.yaml", Path.Combine(folder.Content, "datasets"), Path.Combine(folder.Content, "assignments", "sentiment"));

    private const string Valid = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
        max_seq_length: 64
        training_args:
          learning_rate: 3.0e-5
          num_train_epochs: 2
        """;

    private const string Preprocessing = "allowed_preprocessing: [drop_empty, deduplicate, class_balancing, label_mapping]";

    [Fact]
    public void Allowed_preprocessing_keys_reach_the_configuration()
    {
        using var folder = Folder(Preprocessing);

        var (config, errors) = Check(folder, Valid + "\npreprocessing:\n  deduplicate: exact\n  drop_empty: true");

        Assert.Empty(errors);
        Assert.Equal(("exact", true), (config!.Preprocessing.Deduplicate, config.Preprocessing.DropEmpty));
    }

    [Theory]
    [InlineData("preprocessing:\n  truncation: tail", 8,
        "preprocessing.truncation cannot be set in this assignment (allowed: drop_empty, deduplicate, class_balancing, label_mapping)")]
    [InlineData("preprocessing:\n  label_mapping: {positive: great}", 8,
        "label_mapping maps 'positive' to 'great', a label the validation split of reviews does not have (its labels: negative)")]
    public void Preprocessing_outside_the_list_or_onto_unknown_labels_is_refused_at_its_line(string add, int line, string message)
    {
        using var folder = Folder(Preprocessing);

        var (config, errors) = Check(folder, Valid + "\n" + add);

        Assert.Null(config);
        Assert.Equal(new ContentError("submission.yaml", line, message), Assert.Single(errors));
    }

    [Fact]
    public void Label_mapping_may_merge_a_label_into_one_validation_uses()
    {
        using var folder = Folder(Preprocessing);

        Assert.Empty(Check(folder, Valid + "\npreprocessing:\n  label_mapping: {positive: negative}").Errors);
    }

    [Fact]
    public void Without_allowed_preprocessing_the_block_is_refused_at_its_key()
    {
        using var folder = new AssignmentFolder();

        var (_, errors) = Check(folder, Valid + "\npreprocessing:\n  drop_empty: true");

        Assert.Equal(new ContentError("submission.yaml", 7,
            "'preprocessing' cannot be set in this assignment (allowed: task, model_name_or_path, train_file, validation_file, max_seq_length, training_args)"), Assert.Single(errors));
    }

    [Theory]
    [InlineData("", "'label_all_tokens' cannot be set in this assignment (allowed: task, model_name_or_path, train_file, validation_file, max_seq_length, training_args)")]
    [InlineData("allowed_data_args: [label_all_tokens]", null)]
    public void Label_all_tokens_needs_allowed_data_args(string lists, string? message)
    {
        using var folder = Folder(lists);
        folder.Write("content/assignments/sentiment/assignment.md", File.ReadAllText(Path.Combine(folder.Content, "assignments/sentiment/assignment.md"))
            .Replace("task: text-classification", "task: token-classification"));
        folder.Write("content/datasets/reviews/train.jsonl", "{\"tokens\": [\"Ada\", \"sings\"], \"ner_tags\": [\"B-PER\", \"O\"]}\n");
        folder.Write("content/datasets/reviews/validation.jsonl", "{\"tokens\": [\"Bo\", \"runs\"], \"ner_tags\": [\"B-PER\", \"O\"]}\n");

        var (config, errors) = Check(folder, Valid.Replace("text-classification", "token-classification") + "\nlabel_all_tokens: true");

        Assert.Equal(message is null ? [] : [new ContentError("submission.yaml", 7, message)], errors);
        Assert.Equal(message is null, config?.LabelAllTokens == true);
    }

    /// <summary>30 train rows capped at 10 (8 positive, 2 negative): oversampling makes 16, so ⌈16 / 4⌉ = 4 steps an epoch, 8 in two.</summary>
    [Theory]
    [InlineData(9, "eval_steps 9 is beyond the last step, so it would never evaluate: this run has 8 steps (16 train examples, batch 4, accumulation 1, 2 epochs)")]
    [InlineData(8, null)]
    public void Steps_are_counted_on_the_prepared_train_split(int evalSteps, string? message)
    {
        using var folder = Folder(Preprocessing);
        folder.Write("content/assignments/sentiment/assignment.md", File.ReadAllText(Path.Combine(folder.Content, "assignments/sentiment/assignment.md"))
            .Replace("max_train_examples: 100", "max_train_examples: 10"));
        folder.Write("content/datasets/reviews/train.jsonl", string.Concat(Enumerable.Range(0, 30).Select(i =>
            $"{{\"text\": \"review {i}\", \"label\": \"{(i is 3 or 7 ? "negative" : "positive")}\"}}\n")));

        var (_, errors) = Check(folder, Valid.Replace("num_train_epochs: 2", "num_train_epochs: 2\n  per_device_train_batch_size: 4")
            + $"\n  eval_strategy: steps\n  eval_steps: {evalSteps}\npreprocessing:\n  class_balancing: oversample");

        Assert.Equal(message is null ? [] : [new ContentError("submission.yaml", 9, message)], errors);
    }

    [Fact]
    public void Allowed_key_lists_name_keys_of_the_schema_for_the_assignments_task()
    {
        using var folder = Folder("allowed_data_args: [label_all_tokens, pad_to_max_length]\nallowed_preprocessing: [clean_text, label_scheme, dedup]");
        var assignment = folder.Load().Assignment!;

        var errors = SubmissionRules.CheckAllowedKeys(assignment, File.ReadAllText(Path.Combine(folder.Content, assignment.SourcePath)));

        const string file = "assignments/sentiment/assignment.md";
        Assert.Equal(
        [
            new ContentError(file, 23, "allowed_data_args: 'label_all_tokens' applies to task token-classification only, not to this assignment's text-classification"),
            new ContentError(file, 23, "allowed_data_args: 'pad_to_max_length' is not a data key (keys: label_all_tokens, doc_stride, max_answer_length, n_best_size)"),
            new ContentError(file, 24, "allowed_preprocessing: 'label_scheme' applies to task token-classification only, not to this assignment's text-classification"),
            new ContentError(file, 24, "allowed_preprocessing: 'dedup' is not a preprocessing key (keys: clean_text, drop_empty, max_characters, deduplicate, label_mapping, class_balancing, truncation, train_splits, label_scheme)"),
        ], errors);
    }

    [Fact]
    public void The_shipped_assignments_allow_only_keys_that_apply_to_their_task()
    {
        var content = new ContentFiles(Path.Combine(Repository.Root, "content"));
        var assignments = AssignmentLoader.LoadAll(content, null, [], _ => "/lesson", checkCalibration: false);

        Assert.Equal(Directory.GetDirectories(content.FullPath("assignments")).Length, assignments.Count(a => a.Assignment is not null));
        Assert.All(assignments, a => Assert.Empty(SubmissionRules.CheckAllowedKeys(a.Assignment!, content.ReadAllText(a.SourcePath))));
        Assert.Equal(["label_all_tokens"], assignments.Single(a => a.Assignment!.Id == "ner").Assignment!.Rules.AllowedDataArgs);
        Assert.Equal(["class_bias", "tune_for"], assignments.Single(a => a.Assignment!.Id == "ticket-urgency").Assignment!.Rules.AllowedDecision); // the imbalanced one
    }

    private const string Both = "allowed_decision: [class_bias, tune_for]";

    [Fact]
    public void An_allowed_decision_block_reaches_the_configuration()
    {
        using var folder = Folder(Both);

        var (config, errors) = Check(folder, Valid + "\ndecision:\n  class_bias: tuned\n  tune_for: negative_recall");

        Assert.Empty(errors);
        Assert.Equal(("tuned", "negative_recall"), (config!.Decision.ClassBias, config.Decision.TuneFor));
    }

    [Theory]
    [InlineData("", "decision:\n  class_bias: [0, 1]", 7,
        "'decision' cannot be set in this assignment (allowed: task, model_name_or_path, train_file, validation_file, max_seq_length, training_args)")]
    [InlineData("allowed_decision: [class_bias]", "decision:\n  class_bias: tuned\n  tune_for: f1", 9,
        "decision.tune_for cannot be set in this assignment (allowed: class_bias)")]
    [InlineData(Both, "decision:\n  class_bias: tuned\n  tune_for: urgent_recall", 9,
        "tune_for 'urgent_recall' is not a metric the bias can maximise: use one of accuracy, f1, negative_f1, negative_precision, negative_recall, positive_f1, positive_precision, positive_recall, precision, recall")]
    [InlineData(Both, "decision:\n  class_bias: [0, 1, 2]", 8,
        "class_bias has 3 values but the data has 2 classes: one bias each, in the order negative, positive")]
    public void A_decision_outside_the_list_or_the_labels_is_refused_at_its_line(string lists, string add, int line, string message)
    {
        using var folder = Folder(lists);

        var (config, errors) = Check(folder, Valid + "\n" + add);

        Assert.Null(config);
        Assert.Equal(new ContentError("submission.yaml", line, message), Assert.Single(errors));
    }

    [Fact]
    public void Allowed_decision_names_keys_of_the_block_for_a_text_classification_assignment()
    {
        using var folder = Folder("allowed_decision: [class_bias, threshold]");
        folder.Write("content/assignments/sentiment/assignment.md", File.ReadAllText(Path.Combine(folder.Content, "assignments/sentiment/assignment.md"))
            .Replace("task: text-classification", "task: token-classification"));
        var assignment = folder.Load().Assignment!;

        var errors = SubmissionRules.CheckAllowedKeys(assignment, File.ReadAllText(Path.Combine(folder.Content, assignment.SourcePath)));

        const string file = "assignments/sentiment/assignment.md";
        Assert.Equal(
        [
            new ContentError(file, 23, "allowed_decision: 'class_bias' applies to task text-classification only, not to this assignment's token-classification"),
            new ContentError(file, 23, "allowed_decision: 'threshold' is not a decision key (keys: class_bias, tune_for)"),
        ], errors);
    }
}
