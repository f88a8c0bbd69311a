using Course.Core.Assignments;
using Course.Core.Data;
using Course.Core.Quizzes;

namespace Course.Core.Tests;

public class ItemAnalysisTests
{
    private static readonly Quiz Quiz = QuizParser.Parse("""
        ---
        id: quiz-stats
        title: Statistics quiz
        topic: "4.1"
        attempts: 2
        grading: best
        ---
        ## single: Which file holds the hyperparameters?
        - [ ] vocab.txt
        - [x] config.json
        - [ ] model.safetensors
        explanation: The config.

        ## multiple: Which are tokenizer outputs?
        - [x] input_ids
        - [ ] logits
        - [x] attention_mask
        - [ ] loss
        explanation: ids and mask.

        ## numeric: softmax([0, 0])[0]?
        answer: 0.5
        explanation: Equal logits.
        """, "quizzes/stats.md").Quiz!;

    private static AttemptAnswers Answers(QuizResponse? one = null, QuizResponse? two = null, QuizResponse? three = null) =>
        new(new Dictionary<int, QuizResponse?> { [1] = one, [2] = two, [3] = three }
            .Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!), Seed: 0);

    private static readonly QuizResponse Right1 = QuizResponse.Choose("b"), Right2 = QuizResponse.Choose("a", "c"), Right3 = QuizResponse.Answer("0.5");

    [Fact]
    public void Facility_deviation_and_discrimination_match_the_hand_worked_four_student_matrix()
    {
        // Item scores (fractions; every item is worth 1 point):
        //            item 1  item 2  item 3   total
        //   A          1      1       1        3
        //   B          1      0.5     1        2.5   (input_ids only: +1/2)
        //   C          1      0       0        1     (logits: −1/2, floored at 0; 0.7 is wrong)
        //   D          0      –       –        0     (vocab.txt; items 2 and 3 left unanswered)
        //
        // Item 1: x = 1,1,1,0, mean 0.75 → facility 75. Deviations .25,.25,.25,−.75: Σd² = .75, SD = √(.75/3) = .5 → 50.
        //   Rest of test (total − item) y = 2, 1.5, 0, 0, mean .875, deviations 1.125, .625, −.875, −.875: Σd² = 3.1875.
        //   Σ dx·dy = .28125 + .15625 − .21875 + .65625 = .875; r = .875 / √(.75 × 3.1875) = .875 / 1.546165 = .565916 → 56.59.
        // Item 2: x = 1,.5,0,0, mean .375 → 37.5. Deviations .625,.125,−.375,−.375: Σd² = .6875, SD = √(.6875/3) = .478714 → 47.87.
        //   y = 2,2,1,0, mean 1.25, deviations .75,.75,−.25,−1.25: Σd² = 2.75. Σ dx·dy = .46875 + .09375 + .09375 + .46875 = 1.125;
        //   r = 1.125 / √(.6875 × 2.75) = 1.125 / 1.375 = 9/11 → 81.82.
        // Item 3: x = 1,1,0,0, mean .5 → 50. Σd² = 1, SD = √(1/3) = .577350 → 57.74.
        //   y = 2,1.5,1,0, mean 1.125, deviations .875,.375,−.125,−1.125: Σd² = 2.1875. Σ dx·dy = .4375 + .1875 + .0625 + .5625 = 1.25;
        //   r = 1.25 / √(2.1875) = 1.25 / 1.479020 = .845154 → 84.52.
        AttemptAnswers[] attempts =
        [
            Answers(Right1, Right2, Right3),
            Answers(Right1, QuizResponse.Choose("a"), Right3),
            Answers(Right1, QuizResponse.Choose("b"), QuizResponse.Answer("0.7")),
            Answers(QuizResponse.Choose("a")),
        ];

        var items = ItemAnalysis.Analyse(Quiz, attempts);

        Assert.Equal([1, 2, 3], items.Select(i => i.Item.Number));
        Assert.All(items, i => Assert.Equal(4, i.Attempts));
        Assert.Equal([75, 37.5, 50], items.Select(i => i.Facility!.Value));
        Assert.Equal([50, 47.871355, 57.735027], items.Select(i => Math.Round(i.StandardDeviation!.Value, 6)));
        Assert.Equal([56.591646, 81.818182, 84.515425], items.Select(i => Math.Round(i.Discrimination!.Value, 6)));
        Assert.Equal([0, 1, 1], items.Select(i => i.Unanswered));
    }

    [Fact]
    public void Distractor_counts_list_every_option_with_its_choices_and_count_unanswered_attempts()
    {
        AttemptAnswers[] attempts =
        [
            Answers(Right1, Right2, Right3),
            Answers(Right1, QuizResponse.Choose("a")),
            Answers(QuizResponse.Choose("c"), QuizResponse.Choose("b", "d")),
            Answers(two: QuizResponse.Empty, three: QuizResponse.Answer("  ")),
        ];

        var items = ItemAnalysis.Analyse(Quiz, attempts);

        Assert.Equal([("a", 0, false), ("b", 2, true), ("c", 1, false)], items[0].Options.Select(o => (o.Id, o.Count, o.Correct)));
        Assert.Equal("config.json", items[0].Options[1].Html);
        Assert.Equal(1, items[0].Unanswered);
        // A multiple-choice attempt counts once for each option it chose.
        Assert.Equal([2, 1, 1, 1], items[1].Options.Select(o => o.Count));
        Assert.Equal(1, items[1].Unanswered);
        Assert.Empty(items[2].Options);
        Assert.Equal(3, items[2].Unanswered);
    }

    [Fact]
    public void An_item_everyone_gets_right_has_no_spread_so_no_discrimination_and_is_flagged_too_easy()
    {
        AttemptAnswers[] attempts =
        [
            Answers(Right1, Right2, Right3),
            Answers(Right1, QuizResponse.Choose("a"), Right3),
            Answers(Right1, QuizResponse.Choose("b")),
        ];

        var first = ItemAnalysis.Analyse(Quiz, attempts)[0];

        Assert.Equal((100.0, 0.0), (first.Facility!.Value, first.StandardDeviation!.Value));
        Assert.Null(first.Discrimination);
        Assert.Equal(["too easy: facility above 90%"], first.Warnings);
    }

    [Fact]
    public void Discrimination_is_undefined_when_the_rest_of_the_quiz_never_varies()
    {
        // Item 1 differs, items 2 and 3 are the same for both: the rest scores 2 and 2.
        var items = ItemAnalysis.Analyse(Quiz, [Answers(Right1, Right2, Right3), Answers(QuizResponse.Choose("a"), Right2, Right3)]);

        Assert.Equal((50.0, 70.710678), (items[0].Facility!.Value, Math.Round(items[0].StandardDeviation!.Value, 6)));
        Assert.Null(items[0].Discrimination);
    }

    [Fact]
    public void A_single_attempt_has_a_facility_but_no_deviation_or_discrimination()
    {
        var items = ItemAnalysis.Analyse(Quiz, [Answers(Right1)]);

        Assert.Equal([100, 0, 0], items.Select(i => i.Facility!.Value));
        Assert.All(items, i => Assert.Null(i.StandardDeviation));
        Assert.All(items, i => Assert.Null(i.Discrimination));
        Assert.Equal(["too hard: facility below 20%"], items[1].Warnings);
    }

    [Fact]
    public void No_attempts_leave_every_statistic_undefined()
    {
        var items = ItemAnalysis.Analyse(Quiz, []);

        Assert.All(items, i =>
        {
            Assert.Equal((0, 0), (i.Attempts, i.Unanswered));
            Assert.Null(i.Facility ?? i.StandardDeviation ?? i.Discrimination);
            Assert.Empty(i.Warnings);
        });
    }

    [Fact]
    public void An_item_only_the_weakest_student_gets_right_discriminates_negatively()
    {
        // Item 1: x = 0, 0, 1; rest y = 2, 1, 0. Deviations −1/3, −1/3, 2/3 and 1, 0, −1: Σ dx·dy = −1, Σdx² = 2/3, Σdy² = 2;
        // r = −1 / √(4/3) = −.866025 → −86.60.
        var item = ItemAnalysis.Analyse(Quiz,
        [
            Answers(QuizResponse.Choose("a"), Right2, Right3),
            Answers(QuizResponse.Choose("a"), Right2),
            Answers(Right1),
        ])[0];

        Assert.Equal(-86.602540, Math.Round(item.Discrimination!.Value, 6));
        Assert.Equal(["negative discrimination: weaker students do better on it — check the key and the wording"], item.Warnings);
    }

    [Fact]
    public void Each_student_counts_once_with_the_first_attempt_that_was_submitted_and_not_discarded()
    {
        QuizAttempt Attempt(string user, int number, AttemptState state = AttemptState.Submitted, bool discarded = false) => new()
        {
            UserId = user, QuizId = "quiz-stats", Number = number, QuizVersion = "v", QuizJson = "{}", State = state, Discarded = discarded,
            Points = state == AttemptState.InProgress ? null : number,
        };
        var first = ItemAnalysis.FirstAttempts(
        [
            Attempt("ada", 3), Attempt("ada", 1, discarded: true), Attempt("ada", 2),
            Attempt("bob", 1, AttemptState.InProgress),
            Attempt("cy", 1, AttemptState.Expired), Attempt("cy", 2),
        ]);

        Assert.Equal([("ada", 2), ("cy", 1)], first.Select(a => (a.UserId, a.Number)).Order());
    }

    [Fact]
    public void Scores_fall_into_ten_bins_each_holding_its_lower_edge_and_the_last_also_a_full_mark()
    {
        var bins = ScoreDistribution.Histogram([0, 9.99, 10, 55, 90, 99.5, 100]);

        Assert.Equal(10, bins.Count);
        Assert.Equal([2, 1, 0, 0, 0, 1, 0, 0, 0, 3], bins.Select(b => b.Count));
        Assert.Equal(("0–10", "90–100"), (bins[0].Label, bins[9].Label));
    }
}
