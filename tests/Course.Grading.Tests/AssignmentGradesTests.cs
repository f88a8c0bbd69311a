using Course.Core.Assignments;
using Course.Core.Data;

namespace Course.Grading.Tests;

public class AssignmentGradesTests
{
    private static readonly DateTimeOffset Due = new(2027, 3, 31, 23, 59, 59, TimeSpan.Zero);

    private static Assignment Reviews(int finalSubmissions = 1) => new(new AssignmentFrontMatter
    {
        Id = "reviews", Title = "Reviews", Metric = "eval_f1", Due = Due, FinalSubmissions = finalSubmissions,
        Rubric = [new RubricMark { At = 0.5, Points = 0 }, new RubricMark { At = 0.9, Points = 100 }],
    }, "", "", "");

    private static Submission Graded(long id, double publicScore, double privateScore, bool final = false, double? grade = null) => new()
    {
        Id = id, UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = $"k{id}", Status = SubmissionStatus.Succeeded,
        PublicScore = publicScore, PrivateScore = privateScore, Grade = grade ?? Reviews().PointsFor(privateScore), MarkedFinal = final,
    };

    [Fact]
    public void With_none_marked_the_best_public_score_is_the_selection_and_the_grade_is_its_private_points()
    {
        // #2 has the best private score, but the student could not have known it: the public score picks #3.
        var submissions = new[] { Graded(1, 0.70, 0.70), Graded(2, 0.75, 0.85), Graded(3, 0.80, 0.60) };

        Assert.Equal([3L], AssignmentGrades.FinalSelection(submissions, 1).Select(s => s.Id));
        Assert.Equal(25, AssignmentGrades.GradeOf(submissions, Reviews()));
    }

    [Fact]
    public void Marked_submissions_are_the_selection_and_the_best_private_among_them_counts()
    {
        var submissions = new[] { Graded(1, 0.70, 0.70, final: true), Graded(2, 0.75, 0.85, final: true), Graded(3, 0.80, 0.60) };

        Assert.Equal([1L, 2L], AssignmentGrades.FinalSelection(submissions, 2).Select(s => s.Id));
        Assert.Equal(87.5, AssignmentGrades.GradeOf(submissions, Reviews(finalSubmissions: 2)));
    }

    [Fact]
    public void With_none_marked_the_selection_takes_the_best_public_scores_up_to_the_limit_and_the_earlier_on_a_tie()
    {
        var submissions = new[] { Graded(1, 0.80, 0.70), Graded(2, 0.80, 0.85), Graded(3, 0.60, 0.90) };

        Assert.Equal([1L], AssignmentGrades.FinalSelection(submissions, 1).Select(s => s.Id));
        Assert.Equal([1L, 2L], AssignmentGrades.FinalSelection(submissions, 2).Select(s => s.Id));
    }

    [Fact]
    public void Failed_runs_are_never_selected_and_an_instructor_override_stands_for_its_submission()
    {
        var failed = new Submission { Id = 4, UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = "k4", Status = SubmissionStatus.Failed };
        Assert.Null(AssignmentGrades.GradeOf([failed], Reviews()));

        var overridden = Graded(1, 0.70, 0.70);
        overridden.GradeOverride = 90;
        var submissions = new[] { overridden, Graded(2, 0.80, 0.60), failed };
        Assert.Equal(90, AssignmentGrades.GradeOf(submissions, Reviews()));

        // An override below the selection's points stands for its own submission only: the selection still counts.
        overridden.GradeOverride = 5;
        Assert.Equal(25, AssignmentGrades.GradeOf(submissions, Reviews()));
    }

    [Fact]
    public void Hidden_figures_are_released_after_the_students_own_due_date_and_the_leaderboard_after_everyones()
    {
        Assert.False(AssignmentGrades.HiddenReleased(Due, Due));
        Assert.True(AssignmentGrades.HiddenReleased(Due, Due.AddSeconds(1)));

        var extended = Due.AddDays(7);
        Assert.False(AssignmentGrades.LeaderboardPrivate(Reviews(), [extended], Due.AddDays(1)));
        Assert.True(AssignmentGrades.LeaderboardPrivate(Reviews(), [extended], extended.AddSeconds(1)));
        Assert.True(AssignmentGrades.LeaderboardPrivate(Reviews(), [], Due.AddSeconds(1)));
    }
}

public class SubmissionScoresTests
{
    private static readonly Assignment Reviews = new(new AssignmentFrontMatter
    {
        Id = "reviews", Title = "Reviews", Metric = "eval_f1",
        Rubric = [new RubricMark { At = 0.5, Points = 0 }, new RubricMark { At = 0.9, Points = 100 }],
    }, "", "", "");

    private static readonly GradingResult Result = new(
        new Dictionary<string, double>
        {
            ["eval_f1"] = 0.8123, ["eval_good_f1"] = 0.8, ["eval_good_precision"] = 0.7, ["eval_good_recall"] = 0.9, ["eval_good_number"] = 10,
            ["eval_confusion_good_good"] = 9,
            ["test_f1"] = 0.7321, ["test_f1_ci95_low"] = 0.6512, ["test_f1_ci95_high"] = 0.8034, ["test_good_f1"] = 0.7, ["test_good_precision"] = 0.6,
            ["test_good_recall"] = 0.8, ["test_good_number"] = 12, ["test_confusion_good_good"] = 10,
        },
        0.8123, 0.7321, 58.03,
        new Receipt(7, 2, "m", new Dictionary<string, string> { ["train"] = "aa", ["validation"] = "bb", [GradingResult.HiddenSplitKey] = "cc" }, "dd",
            new Dictionary<string, string>(), "cpu", 1));

    [Fact]
    public void Before_release_only_validation_figures_remain()
    {
        var scores = SubmissionScores.For(Result, Reviews, gradeOverride: null, released: false);

        Assert.Equal((0.8123, Reviews.PointsFor(0.8123)), (scores.PublicScore, scores.ValidationPoints));
        Assert.Equal((false, null, null, null), (scores.HiddenReleased, scores.PrivateScore, scores.PrivateInterval, scores.Points));
        Assert.DoesNotContain(scores.Metrics.Keys, k => k.StartsWith("test_", StringComparison.Ordinal));
        Assert.Equal(["train", "validation"], scores.Receipt.DatasetSha256.Keys.Order());
        Assert.Equal(["good"], scores.PerClass("eval").Select(c => c.Label));
        Assert.Empty(scores.PerClass("test"));
        Assert.Null(scores.Confusion("test"));
        Assert.Equal(9, scores.Confusion("eval")!.Value.Counts[0, 0]);
    }

    [Fact]
    public void After_release_the_private_score_its_interval_points_and_hidden_figures_are_there()
    {
        var scores = SubmissionScores.For(Result, Reviews, gradeOverride: null, released: true);

        Assert.Equal((true, 0.7321, new ScoreInterval(0.6512, 0.8034), 58.03), (scores.HiddenReleased, scores.PrivateScore, scores.PrivateInterval, scores.Points));
        Assert.Equal(12, scores.PerClass("test").Single().Support);
        Assert.Equal("cc", scores.Receipt.DatasetSha256[GradingResult.HiddenSplitKey]);
        Assert.Equal(40, SubmissionScores.For(Result, Reviews, gradeOverride: 40, released: true).Points);
    }

    [Fact]
    public void A_platform_failures_details_are_for_instructors_and_a_configuration_error_is_the_students()
    {
        var platform = new Submission
        {
            UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = "k", Status = SubmissionStatus.Failed,
            Error = "The hidden split of reviews is missing (/srv/hidden/reviews/test.jsonl)",
        };
        var charged = new Submission
        {
            UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = "k", Status = SubmissionStatus.Failed, Error = "submission.yaml:3: bad",
            QuotaDay = new DateOnly(2026, 12, 6), QuotaSlot = 1, // charged: it holds a slot of the day's quota
        };

        Assert.DoesNotContain("/srv/hidden", SubmissionScores.ErrorFor(platform, instructor: false));
        Assert.Equal(platform.Error, SubmissionScores.ErrorFor(platform, instructor: true));
        Assert.Equal(charged.Error, SubmissionScores.ErrorFor(charged, instructor: false));
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
}

public class RubricGateTests
{
    private static Assignment Tickets(double? maxPoints = null) => new(new AssignmentFrontMatter
    {
        Id = "tickets", Title = "Tickets", Metric = "eval_f1", PassPoints = 50,
        Rubric = [new RubricMark { At = 0.3, Points = 0 }, new RubricMark { At = 0.8, Points = 100 }],
        Gates = [new RubricGate { Metric = "eval_urgent_recall", AtLeast = 0.5, MaxPoints = maxPoints }],
    }, "", "", "");

    [Fact]
    public void A_gate_below_its_floor_holds_the_points_under_the_pass_mark_on_the_split_being_scored()
    {
        var metrics = new Dictionary<string, double>
        {
            ["eval_f1"] = 0.8, ["eval_urgent_recall"] = 0.25, ["test_f1"] = 0.8, ["test_urgent_recall"] = 0.5,
        };

        Assert.Equal(49, Tickets().PointsFor(metrics, "eval"));
        Assert.Equal(100, Tickets().PointsFor(metrics, "test")); // the floor itself is enough
        Assert.Equal(30, Tickets(maxPoints: 30).PointsFor(metrics, "eval"));
        Assert.Equal(20, Tickets().PointsFor(new Dictionary<string, double> { ["eval_f1"] = 0.4, ["eval_urgent_recall"] = 0 }, "eval"));
    }
}
