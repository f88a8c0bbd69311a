using Course.Ml.Metrics;

namespace Course.Ml.Tests;

public class ClassificationMetricsTests
{
    [Fact]
    public void A_hand_worked_three_class_case()
    {
        var report = ClassificationMetrics.Compute([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["neg", "neu", "pos"]);

        Assert.Equal(4.0 / 6, report.Accuracy, 10);
        var rounded = report.PerClass.Select(c => (Math.Round(c.Precision, 6), Math.Round(c.Recall, 6), Math.Round(c.F1, 6))).ToArray();
        Assert.Equal([(0.5, 0.5, 0.5), (Math.Round(2.0 / 3, 6), 1.0, 0.8), (1.0, 0.5, Math.Round(2.0 / 3, 6))], rounded);
        Assert.Equal((0.5 + 0.8 + 2.0 / 3) / 3, report.MacroF1, 10);
        Assert.Equal(report.Accuracy, report.MicroF1, 10);
        Assert.Equal(report.MacroF1, report.WeightedF1, 10);
        Assert.Equal(new[,] { { 1, 1, 0 }, { 0, 2, 0 }, { 1, 0, 1 } }, report.ConfusionMatrix);
    }

    [Fact]
    public void Weighted_averages_follow_support_and_absent_classes_score_zero()
    {
        var report = ClassificationMetrics.Compute([0, 0, 0, 1], [0, 0, 0, 0], ["majority", "minority", "unused"]);

        Assert.Equal(0.75, report.Accuracy);
        Assert.Equal((0, 0, 0, 0), (report.PerClass[1].Precision, report.PerClass[1].Recall, report.PerClass[1].F1, 0));
        Assert.Equal(0, report.PerClass[2].Support);
        var majorityF1 = 2 * 0.75 * 1 / 1.75;
        Assert.Equal(majorityF1 / 3, report.MacroF1, 10);
        Assert.Equal(majorityF1 * 3 / 4, report.WeightedF1, 10);
    }

    [Fact]
    public void Mismatched_or_empty_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1], [0], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([], [], ["a"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Compute([0, 5], [0, 1], ["a", "b"]));
        Assert.Equal(Math.E, ClassificationMetrics.Perplexity(1.0), 10);
    }
}

public class SeqevalTests
{
    private static IReadOnlyList<IReadOnlyList<string>> S(params string[] sentences) =>
        sentences.Select(s => (IReadOnlyList<string>)s.Split(' ')).ToList();

    [Fact]
    public void The_seqeval_readme_example()
    {
        var report = Seqeval.Compute(
            S("O O O B-MISC I-MISC I-MISC O", "B-PER I-PER O"),
            S("O O B-MISC I-MISC I-MISC I-MISC O", "B-PER I-PER O"));

        Assert.Equal((0.5, 0.5, 0.5, 0.8), (report.OverallPrecision, report.OverallRecall, report.OverallF1, report.OverallAccuracy));
        Assert.Equal([("MISC", 0.0, 1), ("PER", 1.0, 1)], report.PerType.Select(t => (t.Type, t.F1, t.Number)));
    }

    [Fact]
    public void An_i_tag_without_a_b_tag_starts_an_entity()
    {
        Assert.Equal([new Entity("PER", 0, 1)], Seqeval.GetEntities(S("I-PER I-PER O")));
        var report = Seqeval.Compute(S("B-PER I-PER O"), S("I-PER I-PER O"));
        Assert.Equal(1.0, report.OverallF1);
    }

    [Fact]
    public void An_entity_at_the_end_of_a_sentence_does_not_run_into_the_next()
    {
        Assert.Equal([new Entity("LOC", 1, 1), new Entity("LOC", 3, 3)], Seqeval.GetEntities(S("O B-LOC", "I-LOC O")));
    }

    [Fact]
    public void A_type_change_inside_a_span_splits_it()
    {
        Assert.Equal([new Entity("PER", 0, 0), new Entity("ORG", 1, 2)], Seqeval.GetEntities(S("B-PER I-ORG I-ORG")));
        Assert.Equal([new Entity("PER", 0, 0), new Entity("PER", 1, 1)], Seqeval.GetEntities(S("B-PER B-PER")));
    }

    [Fact]
    public void Boundaries_must_match_exactly()
    {
        var report = Seqeval.Compute(S("B-ORG I-ORG I-ORG O"), S("B-ORG I-ORG O O"));

        Assert.Equal((0.0, 0.0, 0.0), (report.OverallPrecision, report.OverallRecall, report.OverallF1));
        Assert.Equal(0.75, report.OverallAccuracy);
    }

    [Fact]
    public void Length_mismatches_name_the_sentence()
    {
        var error = Assert.Throws<ArgumentException>(() => Seqeval.Compute(S("O O", "O"), S("O O", "O O")));

        Assert.Contains("sentence 2", error.Message);
    }
}

public class SquadMetricsTests
{
    [Theory]
    [InlineData("The  Cat!", "cat")]
    [InlineData("an apple, a pear", "apple pear")]
    [InlineData("Theory of the Mind", "theory of mind")]
    public void Answers_are_normalised_like_the_official_script(string text, string expected)
    {
        Assert.Equal(expected, SquadMetrics.NormalizeAnswer(text));
    }

    [Fact]
    public void Exact_match_and_token_f1_take_the_best_gold_answer_and_missing_predictions_score_zero()
    {
        var gold = new Dictionary<string, IReadOnlyList<string>>
        {
            ["q1"] = ["Paris", "the city of Paris"],
            ["q2"] = ["cat sat on mat"],
            ["q3"] = ["1889"],
        };
        var predictions = new Dictionary<string, string> { ["q1"] = "paris.", ["q2"] = "the cat sat" };

        var (exact, f1) = SquadMetrics.Compute(gold, predictions);

        Assert.Equal(100.0 / 3, exact, 10);
        Assert.Equal(100.0 * (1 + 2.0 / 3) / 3, f1, 10);
        Assert.Equal(2.0 / 3, SquadMetrics.F1("the cat sat", "cat sat on mat"), 10);
        // Per question, in the references' order: what the hidden split's bootstrap resamples, whose mean is the score.
        var scores = SquadMetrics.PerQuestion(gold, predictions);
        Assert.Equal([(1.0, 1.0), (0.0, Math.Round(2.0 / 3, 10)), (0.0, 0.0)], scores.Select(q => (q.ExactMatch, Math.Round(q.F1, 10))).ToArray());
        Assert.Equal((exact, f1), SquadMetrics.Mean(scores));
    }
}
