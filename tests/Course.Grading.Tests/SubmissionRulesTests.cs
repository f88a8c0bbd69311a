using Course.Core.Assignments;
using Course.Core.Content;
using Course.Grading.Submissions;

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
