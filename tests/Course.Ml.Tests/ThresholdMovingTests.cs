using Course.Ml.Training;

namespace Course.Ml.Tests;

/// <summary>The class-bias tuner on logits built so the best bias is known, and the <c>decision:</c> block's checks.</summary>
public sealed class ThresholdMovingTests : IDisposable
{
    private const float Far = -100; // a class no bias within the grid makes win

    /// <summary>
    /// Three classes A, B, C. Each row competes between A and one other class only, at the given margin (that class's
    /// logit minus A's). B wins its three rows once its bias passes 0.35 and takes A rows from 0.55 on, so the
    /// best biases are 0.4 and 0.5 and the nearest to 0 is 0.4; C wins its two rows from 1.25 and takes an A row
    /// from 2.05, so 1.3.
    /// </summary>
    private static readonly (float[] Logits, int Gold)[] Rows =
    [
        ([0, -0.35f, Far], 1), ([0, -0.15f, Far], 1), ([0, 0.25f, Far], 1),
        ([0, -0.95f, Far], 0), ([0, -0.55f, Far], 0),
        ([0, Far, -1.25f], 2), ([0, Far, -0.85f], 2),
        ([0, Far, -2.05f], 0),
    ];

    /// <summary>Accuracy of argmax(logits + bias), written out here rather than through ThresholdMoving.Predict.</summary>
    private static double AccuracyWith(IReadOnlyList<double> bias) => Rows.Count(row =>
    {
        var biased = row.Logits.Select((l, i) => l + bias[i]).ToArray();
        var best = 0;
        for (var c = 1; c < biased.Length; c++) if (biased[c] > biased[best]) best = c;
        return best == row.Gold;
    }) / (double)Rows.Length;

    private static double Accuracy(IReadOnlyList<int> predicted) => predicted.Where((p, i) => p == Rows[i].Gold).Count() / (double)Rows.Length;

    [Fact]
    public void The_tuned_bias_is_the_one_nearest_zero_among_the_best_and_reaches_their_score()
    {
        var bias = ThresholdMoving.Tune(Rows.Select(r => r.Logits).ToList(), 3, Accuracy);

        Assert.Equal([0.0, 0.4, 1.3], bias);
        Assert.Equal(4.0 / 8, AccuracyWith([0, 0, 0])); // the plain argmax finds the three A rows and one B row
        Assert.Equal(1.0, AccuracyWith(bias));
        Assert.Equal(1.0, Accuracy(ThresholdMoving.Predict(Rows.Select(r => r.Logits).ToList(), bias)));
    }

    [Fact]
    public void A_metric_no_bias_changes_leaves_every_bias_at_zero()
    {
        var bias = ThresholdMoving.Tune(Rows.Select(r => r.Logits).ToList(), 3, _ => 0.5);

        Assert.Equal([0.0, 0.0, 0.0], bias);
    }

    [Fact]
    public void A_bias_below_zero_is_chosen_when_the_best_scores_lie_there()
    {
        // Two classes; the row of class 1 leads by 0.05 but is class 0: only a bias of -0.1 or less puts it right,
        // and the class-1 row at 0.25 turns wrong from -0.3 on, so -0.1 and -0.2 score best and -0.1 is nearest 0.
        float[][] logits = [[0, 0.05f], [0, 0.25f]];
        int[] gold = [0, 1];

        var bias = ThresholdMoving.Tune(logits, 2, p => p.Where((c, i) => c == gold[i]).Count());

        Assert.Equal([0.0, -0.1], bias);
    }

    [Fact]
    public void Apply_adds_the_bias_to_each_logit_and_predict_breaks_ties_towards_the_lower_id()
    {
        Assert.Equal([1.5f, -1f], ThresholdMoving.Apply([1f, 0f], [0.5, -1]));
        Assert.Equal([0, 1], ThresholdMoving.Predict([[1f, 1f], [0f, 1f]], null));
    }

    [Fact]
    public void Tune_for_names_a_metric_of_the_labels_and_an_explicit_list_has_one_bias_a_class()
    {
        string[] labels = ["high", "routine", "urgent"];
        var decision = new DecisionFile { ClassBias = new List<object> { "0", "0.5" }, TuneFor = "f2" };

        Assert.Equal(
        [
            ("tune_for", "tune_for 'f2' is not a metric the bias can maximise: use one of accuracy, f1, high_f1, high_precision, high_recall, precision, recall, routine_f1, routine_precision, routine_recall, urgent_f1, urgent_precision, urgent_recall"),
            ("class_bias", "class_bias has 2 values but the data has 3 classes: one bias each, in the order high, routine, urgent"),
        ], decision.CheckAgainst(labels));
        Assert.Empty(new DecisionFile { ClassBias = DecisionFile.Tuned, TuneFor = "eval_urgent_recall" }.CheckAgainst(labels));
        Assert.Equal("tune_for", Assert.Single(new DecisionFile { ClassBias = DecisionFile.Tuned, TuneFor = "loss" }.CheckAgainst(labels)).Key);
    }

    private readonly string _folder = Directory.CreateTempSubdirectory("course-decision-").FullName;

    private const string Valid = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
        train_file: train.jsonl
        validation_file: validation.jsonl
        training_args:
          learning_rate: 3.0e-5
        """;

    private TrainingConfig Load(string yaml)
    {
        var path = Path.Combine(_folder, "config.yaml");
        File.WriteAllText(path, yaml);
        return TrainingConfig.Load(path);
    }

    [Fact]
    public void A_tuned_and_an_explicit_bias_load()
    {
        var tuned = Load(Valid + "\ndecision:\n  class_bias: tuned\n  tune_for: f1").Decision;
        Assert.Equal((true, null, "f1"), (tuned.ParseClassBias()!.Value.Tuned, tuned.ParseClassBias()!.Value.Biases, tuned.TuneFor));
        Assert.Equal([0, -0.5, 2e-1], Load(Valid + "\ndecision:\n  class_bias: [0, -0.5, 2e-1]").Decision.ParseClassBias()!.Value.Biases!);
    }

    [Theory]
    [InlineData("decision:\n  class_bias: tuned", 8, "class_bias tuned needs tune_for: the validation metric the bias should maximise (e.g. tune_for: f1)")]
    [InlineData("decision:\n  class_bias: [0, 1e999, 0]", 8, "class_bias must be 'tuned' or a list of finite numbers (one per class in label order, added to the logits), not [0, 1e999, 0]")]
    [InlineData("decision:\n  class_bias: high", 8, "class_bias must be 'tuned' or a list of finite numbers (one per class in label order, added to the logits), not 'high'")]
    [InlineData("decision:\n  class_bias: [0, .nan]", 8, "'.nan' is not a plain decimal number: write numbers in decimal or scientific notation (such as 1024, 0.5 or 5.0e-5)")]
    [InlineData("decision:\n  class_bias: [0, -.inf]", 8, "'-.inf' is not a plain decimal number: write numbers in decimal or scientific notation (such as 1024, 0.5 or 5.0e-5)")]
    [InlineData("decision:\n  class_bias: [0, 1]\n  tune_for: f1", 9, "tune_for applies to class_bias: tuned only (an explicit list is used as written)")]
    [InlineData("decision:\n  tune_for: f1", 8, "tune_for applies to class_bias: tuned only (an explicit list is used as written)")]
    [InlineData("decision:", 7, "decision is empty: give it a class_bias (e.g. class_bias: tuned with tune_for: f1) or leave the key out")]
    [InlineData("preprocessing:\n  train_splits: train+validation\ndecision:\n  class_bias: tuned\n  tune_for: f1", 10,
        "class_bias tuned is chosen on the validation rows, which train_splits train+validation trains on: tune with train_splits: train, then write the biases it reports as a list")]
    public void A_bad_decision_block_is_refused_at_its_line(string add, int line, string message)
    {
        var error = Assert.Single(Assert.Throws<TrainingConfigException>(() => Load(Valid + "\n" + add)).Errors);

        Assert.Equal((line, message), (error.Line, error.Message));
    }

    [Fact]
    public void The_decision_block_is_refused_outside_text_classification()
    {
        var error = Assert.Single(Assert.Throws<TrainingConfigException>(() =>
            Load(Valid.Replace("text-classification", "token-classification") + "\ndecision:\n  class_bias: [0, 1]")).Errors);

        Assert.Equal((7, "decision applies to task text-classification only"), (error.Line, error.Message));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
