namespace Course.Web.Tests;

/// <summary>
/// The small "reviews" assignment the page tests render: its dataset, brief, starter and sample hidden split in a
/// test's content folder, with optional front matter lines added at the end (a <c>report:</c> block).
/// </summary>
public static class ReviewsAssignment
{
    public static readonly DateTimeOffset Due = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(string contentRoot, string extraFrontMatter = "")
    {
        Directory.CreateDirectory(Path.Combine(contentRoot, "datasets", "reviews"));
        File.WriteAllText(Path.Combine(contentRoot, "datasets", "reviews", "train.jsonl"), "{\"text\": \"good\", \"label\": \"positive\"}\n");
        File.WriteAllText(Path.Combine(contentRoot, "datasets", "reviews", "validation.jsonl"), "{\"text\": \"bad\", \"label\": \"negative\"}\n");
        Directory.CreateDirectory(Path.Combine(contentRoot, "assignments", "reviews"));
        File.WriteAllText(Path.Combine(contentRoot, "assignments", "reviews", "assignment.md"), Brief.Replace("---\nThe brief.", extraFrontMatter + "---\nThe brief."));
        File.WriteAllText(Path.Combine(contentRoot, "assignments", "reviews", "starter.yaml"), "task: text-classification\nmodel_name_or_path: test/tiny-bert\n");
        Directory.CreateDirectory(Path.Combine(contentRoot, "hidden-sample", "reviews"));
        File.WriteAllText(Path.Combine(contentRoot, "hidden-sample", "reviews", "test.jsonl"), "{\"text\": \"fine\", \"label\": \"positive\"}\n");
    }

    private const string Brief = """
        ---
        id: reviews
        title: Reviews
        task: text-classification
        dataset: reviews
        hidden_split: reviews/test.jsonl
        metric: eval_accuracy
        rubric:
          - { at: 0.5, points: 0 }
          - { at: 0.9, points: 100 }
        pass_points: 50
        opens: 2026-01-01T00:00:00Z
        due: 2030-01-01T00:00:00Z
        max_submissions_per_day: 3
        limits:
          max_epochs: 3
          max_train_examples: 100
          max_seq_length: 64
          time_limit_minutes: 10
        allowed_models: [test/tiny-bert]
        allowed_training_args: [learning_rate]
        allowed_preprocessing: [deduplicate, max_characters]
        ---
        The brief.
        """;
}
