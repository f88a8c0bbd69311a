using Course.Core.Assignments;
using Course.Core.Content;
using Course.Grading.Submissions;
using Course.Tests.Shared;
using Course.Yaml;

namespace Course.Grading.Tests;

/// <summary>The <c>decision:</c> block narrowed by an assignment's <c>allowed_decision</c>, and checked against its labels.</summary>
public class DecisionRulesTests
{
    private static AssignmentFolder Folder(string lists) =>
        new(AssignmentFolder.Rules.Replace("ranges:", lists + "\nranges:"));

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

    [Fact]
    public void The_plain_argmax_figures_of_a_biased_run_are_not_shown_as_classes()
    {
        var metrics = new Dictionary<string, double>
        {
            ["eval_f1"] = 0.5, ["eval_urgent_precision"] = 0.25, ["eval_urgent_recall"] = 1, ["eval_urgent_f1"] = 0.4, ["eval_urgent_number"] = 9,
            ["eval_confusion_urgent_urgent"] = 9,
            ["eval_no_bias_f1"] = 0.3, ["eval_no_bias_precision"] = 0.3, ["eval_no_bias_recall"] = 0.3,
            ["eval_no_bias_urgent_f1"] = 0, ["eval_no_bias_urgent_precision"] = 0, ["eval_no_bias_urgent_recall"] = 0,
            ["decision_bias_urgent"] = 1.7,
        };

        Assert.Equal([("urgent", 0.25, 1.0, 0.4, 9.0)], GradingResult.PerClass(metrics, "eval"));
        Assert.Equal(["urgent"], GradingResult.Confusion(metrics, "eval")!.Value.Labels);
    }

    [Fact]
    public void The_imbalanced_assignment_allows_the_whole_block()
    {
        var content = new ContentFiles(Path.Combine(Repository.Root, "content"));
        var assignments = AssignmentLoader.LoadAll(content, null, [], _ => "/lesson", checkCalibration: false);

        Assert.Equal(["class_bias", "tune_for"], assignments.Single(a => a.Assignment!.Id == "ticket-urgency").Assignment!.Rules.AllowedDecision);
    }
}
