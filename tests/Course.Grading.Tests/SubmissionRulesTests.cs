using Course.Core.Assignments;
using Course.Core.Content;
using Course.Grading.Submissions;
using Course.Yaml;

namespace Course.Grading.Tests;

/// <summary>An assignment folder with its dataset and a hidden split outside the content, written per test.</summary>
public sealed class AssignmentFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("course-assignment-").FullName;
    public string Content => Path.Combine(Root, "content");
    public string Hidden => Path.Combine(Root, "hidden");

    public const string Rules = """
        ---
        id: sentiment
        title: Sentiment
        task: text-classification
        dataset: reviews
        hidden_split: reviews/test.jsonl
        metric: eval_f1
        rubric:
          - { at: 0.40, points: 0 }
          - { at: 0.60, points: 50 }
          - { at: 0.80, points: 100 }
        pass_points: 50
        opens: 2026-11-01T00:00:00Z
        due: 2027-03-31T23:59:59Z
        max_submissions_per_day: 5
        limits:
          max_epochs: 3
          max_train_examples: 100
          max_seq_length: 128
          time_limit_minutes: 10
        allowed_models: [sentence-transformers/all-MiniLM-L6-v2]
        allowed_training_args: [learning_rate, num_train_epochs, seed]
        ranges:
          learning_rate: [1.0e-6, 1.0e-3]
        ---

        The brief.
        """;

    public AssignmentFolder(string rules = Rules)
    {
        Write("content/datasets/reviews/train.jsonl", "{\"text\": \"good\", \"label\": \"positive\"}\n");
        Write("content/datasets/reviews/validation.jsonl", "{\"text\": \"bad\", \"label\": \"negative\"}\n");
        Write("hidden/reviews/test.jsonl", "{\"text\": \"fine\", \"label\": \"positive\"}\n");
        Write("content/assignments/sentiment/assignment.md", rules);
        Write("content/assignments/sentiment/starter.yaml", "task: text-classification\nmodel_name_or_path: sentence-transformers/all-MiniLM-L6-v2\n");
    }

    public void Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public AssignmentFile Load(string? hidden = null) =>
        AssignmentLoader.Load(new ContentFiles(Content), "sentiment", hidden ?? Hidden, [Path.Combine(Root, "wwwroot")], _ => null);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class AssignmentLoaderTests
{
    [Fact]
    public void A_valid_assignment_loads_and_points_follow_the_rubric_linearly()
    {
        using var folder = new AssignmentFolder();
        var assignment = folder.Load().Assignment!;

        Assert.Equal("sentiment", assignment.Id);
        Assert.Contains("The brief.", assignment.BriefHtml);
        Assert.Equal(0, assignment.PointsFor(0.30));
        Assert.Equal(25, assignment.PointsFor(0.50));
        Assert.Equal(75, assignment.PointsFor(0.70));
        Assert.Equal(100, assignment.PointsFor(0.95));
        Assert.Equal(0.60, assignment.PassMark, 9);
        Assert.Equal(0.80, assignment.TopMark);
    }

    [Theory]
    [InlineData("  - { at: 0.60, points: 50 }", "  - { at: 0.30, points: 50 }", "rubric marks rise", 8)]
    [InlineData("  - { at: 0.80, points: 100 }", "  - { at: 0.80, points: 90 }", "rubric points run from ≥ 0 up to 100", 8)]
    [InlineData("metric: eval_f1", "metric: f1 score", "metric is an evaluation metric name", 7)]
    [InlineData("dataset: reviews", "dataset: tweets", "dataset 'tweets' needs content/datasets/tweets/train.jsonl", 5)]
    [InlineData("hidden_split: reviews/test.jsonl", "hidden_split: reviews/missing.jsonl", "hidden_split 'reviews/missing.jsonl' is not a file", 6)]
    [InlineData("  learning_rate: [1.0e-6, 1.0e-3]", "  warmup_ratio: [0, 0.5]", "ranges.warmup_ratio: 'warmup_ratio' is not in allowed_training_args", 23)]
    [InlineData("due: 2027-03-31T23:59:59Z", "due: 2026-10-01T00:00:00Z", "opens and due are UTC times with opens before due", 14)]
    [InlineData("dataset: reviews", "dataset: reviews\nqueue: GPU boxes", "queue is a name of 1–50 lowercase letters, digits, '-' or '_', not 'GPU boxes'", 6)]
    [InlineData("dataset: reviews", "dataset: reviews\nqueue: demos", "queue 'demos' is the demo-model builds' queue; name another", 6)]
    public void Broken_rules_are_reported_at_their_line(string from, string to, string message, int line)
    {
        using var folder = new AssignmentFolder(AssignmentFolder.Rules.Replace(from, to));
        var file = folder.Load();

        Assert.Null(file.Assignment);
        var error = Assert.Single(file.Errors);
        Assert.Contains(message, error.Message);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void A_hidden_split_inside_a_served_folder_is_refused()
    {
        using var folder = new AssignmentFolder();
        folder.Write("content/hidden/reviews/test.jsonl", "{}\n");

        var error = Assert.Single(folder.Load(Path.Combine(folder.Content, "hidden")).Errors);
        Assert.Contains("which students can reach", error.Message);
    }
}

public class SubmissionRulesTests
{
    private static (Course.Ml.Training.TrainingConfig? Config, IReadOnlyList<ContentError> Errors) Check(AssignmentFolder folder, string yaml)
    {
        var assignment = folder.Load().Assignment!;
        return SubmissionRules.Check(assignment, yaml, "submission.yaml", Path.Combine(folder.Content, "datasets"), Path.Combine(folder.Content, "assignments", "sentiment"));
    }

    private const string Valid = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
        max_seq_length: 64
        training_args:
          learning_rate: 3.0e-5
          num_train_epochs: 2
        """;

    [Fact]
    public void A_submission_without_files_gets_the_assignments_public_splits()
    {
        using var folder = new AssignmentFolder();
        var (config, errors) = Check(folder, Valid);

        Assert.Empty(errors);
        Assert.Equal(Path.Combine(folder.Content, "datasets", "reviews", "train.jsonl"), config!.TrainFile);
        Assert.Equal(Path.Combine(folder.Content, "datasets", "reviews", "validation.jsonl"), config.ValidationFile);
    }

    [Theory]
    // A repeated key used to throw ArgumentException out of YamlDotNet (the circuit died, `./course submit` exited 134).
    [InlineData("  num_train_epochs: 2", "  num_train_epochs: 2\n  learning_rate: 1.0e-4", 7, "duplicate key 'learning_rate'")]
    [InlineData("max_seq_length: 64", "max_seq_length: 64\ntask: text-classification", 4, "duplicate key 'task'")]
    // An empty training_args: is a null mapping, which used to end in a NullReferenceException.
    [InlineData("training_args:\n  learning_rate: 3.0e-5\n  num_train_epochs: 2", "training_args:", 4,
        "training_args is empty: give it arguments (e.g. learning_rate: 5.0e-5) or leave the key out")]
    [InlineData("max_seq_length: 64", "max_seq_length: &n 64\nseed: *n", 3, "anchors (&n) are not allowed: write the value out")]
    public void Duplicate_keys_empty_training_args_and_anchors_are_errors_at_their_line(string from, string to, int line, string message)
    {
        using var folder = new AssignmentFolder();
        var (config, errors) = Check(folder, Valid.Replace(from, to));

        Assert.Null(config);
        Assert.Equal(new ContentError("submission.yaml", line, message), Assert.Single(errors));
    }

    [Fact]
    public void A_configuration_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        using var folder = new AssignmentFolder();
        var padded = Valid + "\n# " + new string('x', 131_072);

        var (config, errors) = Check(folder, padded);

        Assert.Null(config);
        Assert.Equal(new ContentError("submission.yaml", 1, $"the YAML is {padded.Length:N0} characters; at most 131,072 are read"), Assert.Single(errors));
    }

    [Theory]
    [InlineData("  num_train_epochs: 2", "  num_train_epochs: 2\n  weight_decay: 0.1", 7, "training_args.weight_decay cannot be changed in this assignment")]
    [InlineData("  learning_rate: 3.0e-5", "  learning_rate: 0.01", 5, "training_args.learning_rate must be within [1E-06, 0.001] in this assignment, not 0.01")]
    [InlineData("  num_train_epochs: 2", "  num_train_epochs: 4", 6, "num_train_epochs may be at most 3")]
    [InlineData("max_seq_length: 64", "max_seq_length: 256", 3, "max_seq_length may be at most 128")]
    [InlineData("model_name_or_path: sentence-transformers/all-MiniLM-L6-v2", "model_name_or_path: Snowflake/snowflake-arctic-embed-xs", 2, "model_name_or_path must be one of sentence-transformers/all-MiniLM-L6-v2")]
    [InlineData("max_seq_length: 64", "max_seq_length: 64\ntest_file: ../../../hidden/reviews/test.jsonl", 4, "'test_file' cannot be set in this assignment")]
    [InlineData("max_seq_length: 64", "max_seq_length: 64\ntrain_file: ../../../hidden/reviews/test.jsonl", 4, "train_file must be the assignment's public train split")]
    [InlineData("task: text-classification", "task: token-classification", 1, "task must be text-classification in this assignment")]
    [InlineData("  learning_rate: 3.0e-5", "  learning_rate: 3.0e-5\n  learning_rat: 1", 6, "learning_rat")]
    public void Each_violation_names_the_key_the_rule_and_the_line(string from, string to, int line, string message)
    {
        using var folder = new AssignmentFolder();
        var (config, errors) = Check(folder, Valid.Replace(from, to));

        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Contains(message, error.Message);
        Assert.Equal(line, error.Line);
    }
}

/// <summary>
/// What only a run would show, refused at submission: 30 train rows capped at 10, batch 4, so ⌈10 / 4⌉ = 3 steps
/// an epoch and 6 in two epochs (uncapped it would be 16).
/// </summary>
public class NoFreeRunsTests
{
    private const string Valid = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
        training_args:
          learning_rate: 3.0e-5
          num_train_epochs: 2
          per_device_train_batch_size: 4
        """;

    private static AssignmentFolder Folder()
    {
        var folder = new AssignmentFolder(AssignmentFolder.Rules
            .Replace("max_train_examples: 100", "max_train_examples: 10")
            .Replace("allowed_training_args: [learning_rate, num_train_epochs, seed]",
                "allowed_training_args: [learning_rate, num_train_epochs, seed, per_device_train_batch_size, gradient_accumulation_steps, eval_strategy, eval_steps, "
                + "save_strategy, logging_steps, load_best_model_at_end, metric_for_best_model, early_stopping_patience, class_weights]"));
        folder.Write("content/datasets/reviews/train.jsonl", string.Concat(Enumerable.Range(0, 30).Select(i =>
            $"{{\"text\": \"review {i}\", \"label\": \"{(i % 2 == 0 ? "positive" : "negative")}\"}}\n")));
        return folder;
    }

    private static IReadOnlyList<ContentError> Check(string yaml)
    {
        using var folder = Folder();
        var assignment = folder.Load().Assignment!;
        return SubmissionRules.Check(assignment, yaml, "submission.yaml", Path.Combine(folder.Content, "datasets"), Path.Combine(folder.Content, "assignments", "sentiment")).Errors;
    }

    [Theory]
    [InlineData("  metric_for_best_model: nope", 7, "metric_for_best_model 'nope' is not an evaluation metric of text-classification: use accuracy, f1, loss, precision, recall or a per-class one such as negative_f1")]
    [InlineData("  eval_strategy: steps\n  eval_steps: 7", 8, "eval_steps 7 is beyond the last step, so it would never evaluate: this run has 6 steps (10 train examples, batch 4, accumulation 1, 2 epochs)")]
    [InlineData("  eval_strategy: steps", 7, "eval_steps 500 is beyond the last step, so it would never evaluate: this run has 6 steps")]
    [InlineData("  gradient_accumulation_steps: 2\n  eval_strategy: steps\n  eval_steps: 3", 9, "eval_steps 3 is beyond the last step, so it would never evaluate: this run has 2 steps (10 train examples, batch 4, accumulation 2, 2 epochs)")]
    [InlineData("  save_strategy: steps", 7, "save_steps 500 is beyond the last step, so it would never save: this run has 6 steps")]
    [InlineData("  logging_steps: 7", 7, "logging_steps 7 is beyond the last step: this run has 6 steps")]
    [InlineData("  class_weights: [1.0, 2.0, 3.0]", 7, "class_weights has 3 values but reviews has 2 classes: one weight each, in the order negative, positive")]
    [InlineData("  eval_strategy: epoch\n  load_best_model_at_end: true", 8, "load_best_model_at_end needs save_strategy to match eval_strategy, as in Hugging Face: save_strategy epoch, not no")]
    [InlineData("  eval_strategy: epoch\n  save_strategy: epoch\n  early_stopping_patience: 2", 9, "early_stopping_patience needs load_best_model_at_end: true")]
    [InlineData("  early_stopping_patience: 2", 7, "early_stopping_patience needs eval_strategy steps or epoch")]
    [InlineData("  seed: 0x10", 7, "'0x10' is not a plain decimal number")]
    [InlineData("  seed: 0o17", 7, "'0o17' is not a plain decimal number")]
    [InlineData("  seed: 017", 7, "'017' is not a plain decimal number")]
    [InlineData("  seed: 1_000", 7, "'1_000' is not a plain decimal number")]
    [InlineData("  seed: 1:30", 7, "'1:30' is not a plain decimal number")]
    public void A_configuration_that_would_fail_or_do_nothing_in_training_is_refused_at_its_line(string add, int line, string message)
    {
        var error = Assert.Single(Check(Valid + "\n" + add));

        Assert.Equal(line, error.Line);
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("  eval_strategy: steps\n  eval_steps: 6\n  logging_steps: 6")]
    [InlineData("  metric_for_best_model: eval_positive_f1")]
    [InlineData("  metric_for_best_model: confusion_negative_positive")]
    [InlineData("  eval_strategy: epoch\n  save_strategy: epoch\n  load_best_model_at_end: true\n  metric_for_best_model: f1\n  early_stopping_patience: 2")]
    [InlineData("  class_weights: [1.0, 2.0]")]
    public void The_same_settings_within_the_run_pass(string add)
    {
        Assert.Empty(Check(Valid + "\n" + add));
    }
}
