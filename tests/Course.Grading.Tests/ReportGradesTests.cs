using Course.Core.Assignments;
using Course.Core.Data;

namespace Course.Grading.Tests;

public class ReportRulesTests
{
    /// <summary>The front matter's <c>report:</c> block, lines 25–33 of <see cref="AssignmentFolder.Rules"/> with it.</summary>
    private const string Block = """
        report:
          weight: 0.25
          max_words: 50
          prompts:
            - What does the confusion matrix show?
          rubric:
            - { id: matrix, title: Reads the matrix, points: 6 }
            - { id: next, title: Proposes a next step, points: 4 }
            - { id: off-topic, title: Off topic, points: -3 }

        """;

    private static string WithReport(string block) => AssignmentFolder.Rules.Replace("---\n\nThe brief.", block.Replace("\r\n", "\n") + "---\n\nThe brief.");

    [Fact]
    public void A_valid_report_block_loads_with_full_marks_from_its_positive_items()
    {
        using var folder = new AssignmentFolder(WithReport(Block));
        var loaded = folder.Load();

        Assert.Empty(loaded.Errors);
        var report = loaded.Assignment!.Rules.Report!;
        Assert.Equal(0.25, report.Weight);
        Assert.Equal(50, report.MaxWords);
        Assert.Equal(["What does the confusion matrix show?"], report.Prompts);
        Assert.Equal(["matrix", "next", "off-topic"], report.Rubric.Select(i => i.Id));
        Assert.Equal(10, report.MaxPoints);
    }

    [Fact]
    public void The_courses_assignments_load_with_their_report_blocks()
    {
        var content = new Course.Core.Content.ContentFiles(Course.Core.Configuration.CourseEnvironment.Discover().Resolve("content"));
        foreach (var id in new[] { "sentiment", "ticket-urgency", "ner" })
        {
            var loaded = AssignmentLoader.Load(content, id, null, [], _ => "/lesson");

            Assert.Empty(loaded.Errors);
            var report = loaded.Assignment!.Rules.Report!;
            Assert.Equal((0.2, 400, 3, 10), (report.Weight, report.MaxWords, report.Prompts.Count, report.MaxPoints));
        }
    }

    [Fact]
    public void An_assignment_without_a_report_block_has_none()
    {
        using var folder = new AssignmentFolder();
        Assert.Null(folder.Load().Assignment!.Rules.Report);
    }

    [Theory]
    [InlineData("  weight: 0.25\n", "  weight: 1.5\n", 26, "report.weight is the report's share of the grade, from 0 to 1, not 1.5")]
    [InlineData("  weight: 0.25\n", "  weight: -0.1\n", 26, "report.weight is the report's share of the grade, from 0 to 1, not -0.1")]
    [InlineData("  weight: 0.25\n", "", 25, "report.weight is required: the report's share of the grade, from 0 to 1")]
    [InlineData("  max_words: 50\n", "  max_words: 0\n", 27, "report.max_words must be 1–2000, not 0")]
    [InlineData("  max_words: 50\n", "  max_words: 2001\n", 27, "report.max_words must be 1–2000, not 2001")]
    [InlineData("  prompts:\n    - What does the confusion matrix show?\n", "  prompts: []\n", 28, "report.prompts lists 1–10 questions the report answers")]
    [InlineData("    - What does the confusion matrix show?\n", "    - \"\"\n", 29, "report.prompts: each prompt is text of 1–300 characters")]
    [InlineData("{ id: matrix,", "{ id: Matrix!,", 31, "report.rubric: id 'Matrix!' must be 1–40 lower-case letters, digits, '-' or '_' (it ties graded reports to the item)")]
    [InlineData("{ id: off-topic,", "{ id: next,", 33, "report.rubric: id 'next' is used twice; ids are unique")]
    [InlineData("title: Reads the matrix, ", "", 31, "report.rubric: item 'matrix' needs a title of 1–300 characters")]
    [InlineData("points: 4 }", "points: 0 }", 32, "report.rubric: item 'next' has points from -100 to 100 other than 0 (negative: a deduction), not 0")]
    [InlineData("points: 6 }", "points: 101 }", 31, "report.rubric: item 'matrix' has points from -100 to 100 other than 0 (negative: a deduction), not 101")]
    [InlineData("  rubric:\n    - { id: matrix, title: Reads the matrix, points: 6 }\n    - { id: next, title: Proposes a next step, points: 4 }\n", "  rubric:\n", 30,
        "report.rubric needs at least one item with positive points: together they are the report's full marks")]
    public void Each_bad_field_is_refused_at_its_line(string written, string replacement, int line, string message)
    {
        Assert.Contains(written, Block.Replace("\r\n", "\n"));
        using var folder = new AssignmentFolder(WithReport(Block.Replace("\r\n", "\n").Replace(written, replacement)));
        var loaded = folder.Load();

        Assert.Null(loaded.Assignment);
        var error = Assert.Single(loaded.Errors);
        Assert.Equal(("assignments/sentiment/assignment.md", line, message), (error.File, error.Line, error.Message));
    }

    [Fact]
    public void Editing_an_items_points_or_title_in_the_front_matter_changes_every_report_that_applied_it()
    {
        using var folder = new AssignmentFolder(WithReport(Block));
        var matrixOnly = Graded(1, items: "matrix");
        var both = Graded(2, items: "matrix next");
        var before = folder.Load().Assignment!.Rules.Report!;
        Assert.Equal((6, 60), (ReportGrades.ScoreOf(matrixOnly, before)!.Points, ReportGrades.ScoreOf(matrixOnly, before)!.Percent));
        Assert.Equal(100, ReportGrades.ScoreOf(both, before)!.Percent);

        folder.Write("content/assignments/sentiment/assignment.md", WithReport(Block.Replace("{ id: matrix, title: Reads the matrix, points: 6 }",
            "{ id: matrix, title: Reads the whole matrix, points: 2 }")));
        var after = folder.Load().Assignment!.Rules.Report!;

        // The same rows, the rubric read anew: full marks are 6 now.
        Assert.Equal((2, 33.33), (ReportGrades.ScoreOf(matrixOnly, after)!.Points, ReportGrades.ScoreOf(matrixOnly, after)!.Percent));
        Assert.Equal(["Reads the whole matrix"], ReportGrades.ScoreOf(matrixOnly, after)!.Applied.Select(i => i.Title));
        Assert.Equal(100, ReportGrades.ScoreOf(both, after)!.Percent);

        // An item removed from the front matter counts nothing in the reports that applied it.
        folder.Write("content/assignments/sentiment/assignment.md", WithReport(Block.Replace("    - { id: next, title: Proposes a next step, points: 4 }\n", "")));
        var removed = folder.Load().Assignment!.Rules.Report!;
        Assert.Equal((6, 100), (ReportGrades.ScoreOf(both, removed)!.Points, ReportGrades.ScoreOf(both, removed)!.Percent));
    }

    internal static Submission Graded(long id, string? items = null, string? report = "The matrix shows…", double grade = 62.5, double publicScore = 0.7,
        bool final = false, double? gradeOverride = null) => new()
    {
        Id = id, UserId = "ann", AssignmentId = "sentiment", ConfigYaml = "", IdempotencyKey = $"k{id}", Status = SubmissionStatus.Succeeded,
        PublicScore = publicScore, PrivateScore = 0.75, Grade = grade, MarkedFinal = final, GradeOverride = gradeOverride, Report = report,
        ReportItems = items, ReportGradedAt = items is null ? null : new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), ReportGradedByUserId = items is null ? null : "teacher",
    };
}

public class ReportGradesTests
{
    private static Assignment Sentiment(double weight = 0.2) => new(new AssignmentFrontMatter
    {
        Id = "sentiment", Title = "Sentiment", Metric = "eval_f1", FinalSubmissions = 1,
        Rubric = [new RubricMark { At = 0.5, Points = 0 }, new RubricMark { At = 0.9, Points = 100 }],
        Report = new ReportRules
        {
            Weight = weight, MaxWords = 50, Prompts = ["Why?"],
            Rubric = [new() { Id = "matrix", Title = "Matrix", Points = 6 }, new() { Id = "next", Title = "Next", Points = 4 }, new() { Id = "off-topic", Title = "Off topic", Points = -3 }],
        },
    }, "", "", "");

    [Theory]
    [InlineData("matrix next", 100, 70)]        // 0.8 × 62.5 + 0.2 × 100
    [InlineData("matrix off-topic", 30, 56)]    // (6 − 3) / 10 → 30; 0.8 × 62.5 + 0.2 × 30
    [InlineData("off-topic", 0, 50)]            // −3 clamps to 0
    [InlineData("", 0, 50)]                     // graded with no item applied
    public void The_combined_grade_weighs_the_automatic_part_and_the_report(string items, double report, double combined)
    {
        var grade = ReportGrades.GradeOf([ReportRulesTests.Graded(1, items)], Sentiment());

        Assert.Equal((62.5, report, combined, 1L), (grade.Automatic, grade.Report!.Percent, grade.Combined, grade.GradedSubmissionId));
    }

    [Fact]
    public void A_written_report_not_yet_graded_leaves_the_combined_grade_open_and_a_blank_one_scores_zero()
    {
        var waiting = ReportGrades.GradeOf([ReportRulesTests.Graded(1)], Sentiment());
        var blank = ReportGrades.GradeOf([ReportRulesTests.Graded(1, report: "  \n")], Sentiment());

        Assert.Equal((62.5, null, null), (waiting.Automatic, waiting.Report, waiting.Combined));
        Assert.Equal((0, false, 50), (blank.Report!.Percent, blank.Report.Graded, blank.Combined));
    }

    [Fact]
    public void The_report_that_counts_is_that_of_the_submission_the_automatic_grade_uses_and_an_override_stands_for_its_points()
    {
        // #2 is the final selection (best public score) and its report is graded; #1's report is not the one that counts.
        var selected = ReportGrades.GradeOf([ReportRulesTests.Graded(1, "matrix next", publicScore: 0.6), ReportRulesTests.Graded(2, "off-topic", publicScore: 0.8)], Sentiment());
        Assert.Equal((2L, 0, 50), (selected.GradedSubmissionId, selected.Report!.Percent, selected.Combined));

        // An instructor's override of #1's automatic points (90, above #2's 62.5) makes #1 the graded submission, its report with it.
        var overridden = ReportGrades.GradeOf([ReportRulesTests.Graded(1, "matrix next", publicScore: 0.6, gradeOverride: 90), ReportRulesTests.Graded(2, "off-topic", publicScore: 0.8)], Sentiment());
        Assert.Equal((1L, 90, 100, 92), (overridden.GradedSubmissionId, overridden.Automatic, overridden.Report!.Percent, overridden.Combined));
    }

    [Fact]
    public void Without_a_report_block_the_grade_is_the_automatic_part()
    {
        var assignment = Sentiment();
        assignment.Rules.Report = null;

        var grade = ReportGrades.GradeOf([ReportRulesTests.Graded(1, report: null)], assignment);

        Assert.Equal((62.5, null, 62.5), (grade.Automatic, grade.Report, grade.Combined));
        Assert.Same(AssignmentGrade.None, ReportGrades.GradeOf([], assignment));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("## Results\n\n- F1 0.83, *urgent* recall: 7/9 | ok", 7)]
    [InlineData("class_weights\tbalanced\r\nhelped", 3)]
    [InlineData("— | --- | ##", 0)]
    public void Words_are_runs_of_non_blank_characters_holding_a_letter_or_digit(string text, int words) =>
        Assert.Equal(words, ReportWords.Count(text));

    [Fact]
    public void A_report_over_the_word_or_character_limit_or_for_an_assignment_without_reports_is_refused()
    {
        var assignment = Sentiment();
        var fifty = string.Join(' ', Enumerable.Repeat("word", 50));

        Assert.Null(ReportGrades.Refusal(assignment, fifty));
        Assert.Null(ReportGrades.Refusal(assignment, " \n "));
        Assert.Equal("The report has 51 words; at most 50 are accepted. Shorten it and submit again.", ReportGrades.Refusal(assignment, fifty + " more"));
        Assert.Equal("The report is 20,001 characters long; at most 20,000 are accepted", ReportGrades.Refusal(assignment, new string('a', 20_001)));
        assignment.Rules.Report = null;
        Assert.Equal("Sentiment takes no evaluation report.", ReportGrades.Refusal(assignment, "A report."));
    }
}
