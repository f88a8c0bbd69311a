using Bunit;
using Course.Core.Assignments;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Web.Components.Assignments;
using Course.Web.Components.Pages.Assignments;
using Course.Web.Components.Pages.Instructor;
using Course.Web.Features.Assignments;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

/// <summary>Evaluation reports on the "reviews" assignment: the form, the student's view, the instructors' Reports page and the gradebook.</summary>
public class ReportTests : CourseComponentTest
{
    private const string ReportBlock = """
        report:
          weight: 0.25
          max_words: 5
          prompts:
            - What does the confusion matrix show?
            - What would you try next?
          rubric:
            - { id: matrix, title: Reads the matrix, points: 6 }
            - { id: next, title: Proposes a next step, points: 4 }
            - { id: off-topic, title: Off topic, points: -3 }

        """;

    public ReportTests() => ReviewsAssignment.Write(ContentRoot, ReportBlock.Replace("\r\n", "\n"));

    private Assignment Reviews => Content.Current.FindAssignment("reviews")!;

    private IDbContextFactory<CourseDbContext> Databases => Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();

    /// <summary>A graded submission (automatic points 62.5) with a report, graded with <paramref name="items"/> when given.</summary>
    private async Task<Submission> GradedAsync(string userId, string? report, string? items = null, string? comment = null)
    {
        await AddUserAsync(userId);
        await using var db = await Databases.CreateDbContextAsync();
        var submission = new Submission
        {
            UserId = userId, AssignmentId = "reviews", ConfigYaml = "task: text-classification", IdempotencyKey = Guid.NewGuid().ToString("N"),
            Status = SubmissionStatus.Succeeded, CreatedAt = Clock.GetUtcNow(), FinishedAt = Clock.GetUtcNow(), PublicScore = 0.8, PrivateScore = 0.75, Grade = 62.5,
            Report = report, ReportItems = items, ReportComment = comment, ReportGradedAt = items is null ? null : Clock.GetUtcNow(), ReportGradedByUserId = items is null ? null : "teacher",
        };
        db.Submissions.Add(submission);
        await db.SaveChangesAsync();
        return submission;
    }

    [Fact]
    public void The_report_box_lists_the_prompts_and_counts_words_as_they_are_typed()
    {
        Content.Reload();
        string? bound = null;
        var editor = Render<ReportEditor>(p => p.Add(x => x.Rules, Reviews.Rules.Report!).Add(x => x.ValueChanged, v => bound = v));

        Assert.Equal(["What does the confusion matrix show?", "What would you try next?"], editor.FindAll("[data-testid=report-prompts] li").Select(li => li.TextContent));
        editor.Find("textarea").Input("## Matrix\n\n- *urgent* found: 7/9");
        Assert.Equal("4 / 5 words", editor.Find("[data-testid=report-words]").TextContent);
        Assert.Equal("## Matrix\n\n- *urgent* found: 7/9", bound);
        Assert.DoesNotContain("mud-error-text", editor.Find("[data-testid=report-words]").ClassName);

        editor.Find("textarea").Input("one two three four five six");
        Assert.Equal("6 / 5 words", editor.Find("[data-testid=report-words]").TextContent);
        Assert.Contains("mud-error-text", editor.Find("[data-testid=report-words]").ClassName);
    }

    [Fact]
    public async Task A_report_over_the_word_limit_is_refused_and_the_form_keeps_the_configuration_and_the_report()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Submit").Click());
        const string yaml = "task: text-classification\nmodel_name_or_path: test/tiny-bert\n# my own comment\n";
        const string report = "one two three four five six";
        await page.InvokeAsync(() => page.Find("textarea[data-testid=submission-yaml]").Change(yaml));
        await page.InvokeAsync(() => page.Find("textarea[data-testid=report-text]").Input(report));

        await page.InvokeAsync(() => page.Find("[data-testid=submission-submit]").Click());

        page.WaitForAssertion(() => Assert.Contains("The report has 6 words; at most 5 are accepted. Shorten it and submit again.", page.Find("[data-testid=submission-errors]").TextContent));
        Assert.Equal(yaml, page.Find("textarea[data-testid=submission-yaml]").GetAttribute("value") ?? page.Find("textarea[data-testid=submission-yaml]").TextContent);
        Assert.Equal(report, page.Find("textarea[data-testid=report-text]").GetAttribute("value") ?? page.Find("textarea[data-testid=report-text]").TextContent);
        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal(0, await db.Submissions.CountAsync());
    }

    [Fact]
    public async Task An_instructor_grades_one_report_at_a_time_with_rubric_items_and_a_comment_and_moves_to_the_next_ungraded()
    {
        await GradedAsync("b-student", "**Bold** claim <script>alert(1)</script> [x](javascript:alert(1))");
        await GradedAsync("a-student", "Already graded.", items: "next");
        await GradedAsync("c-student", null); // blank: scores 0 without grading, never "ungraded"
        await AddUserAsync("teacher");
        SignIn("teacher", CourseRoles.Instructor);
        Content.Reload();

        var page = Render<ReportsPage>(p => p.Add(x => x.AssignmentId, "reviews"));

        // Opens on the first ungraded report; the Markdown is rendered as lessons are, raw HTML and script links as text.
        page.WaitForAssertion(() => Assert.Equal("Report 2 of 3: b-student@example.com", page.Find("[data-testid=report-student]").TextContent.Split(" (#")[0]));
        var body = page.Find("[data-testid=report-body]");
        Assert.Contains("<strong>Bold</strong>", body.InnerHtml);
        Assert.Empty(body.QuerySelectorAll("script"));
        Assert.DoesNotContain("href=\"javascript", body.InnerHtml);
        Assert.Equal("1 to grade", page.Find("[data-testid=reports-summary]").TextContent.Split(" · ")[1]);

        page.Find("input[data-testid=rubric-item-matrix]").Change(true);
        page.Find("input[data-testid=rubric-item-off-topic]").Change(true);
        Assert.Equal("Score: 3 / 10", page.Find("[data-testid=report-running-score]").TextContent);
        page.Find("textarea[data-testid=report-comment]").Change("Read the urgent row again.");
        await page.InvokeAsync(() => page.Find("[data-testid=report-grade]").Click());

        page.WaitForAssertion(() => Assert.Equal("Graded 2026-11-28 09:00 UTC by teacher@example.com.", page.Find("[data-testid=report-graded-by]").TextContent.Trim()));
        await using (var db = await Databases.CreateDbContextAsync())
        {
            var graded = await db.Submissions.SingleAsync(s => s.UserId == "b-student");
            Assert.Equal(("matrix off-topic", "Read the urgent row again.", "teacher"), (graded.ReportItems, graded.ReportComment, graded.ReportGradedByUserId));
            Assert.Equal(Clock.GetUtcNow(), graded.ReportGradedAt);
            Assert.Equal("reviews #" + graded.Id + ": report 3 / 10 (matrix off-topic)", (await db.AuditEntries.SingleAsync(e => e.Action == "assignment.report-grade")).Details);
        }
        Assert.True(page.Find("[data-testid=report-next-ungraded]").HasAttribute("disabled"));

        // The previous one shows its saved grade in the toggles.
        await page.InvokeAsync(() => page.Find("[data-testid=report-previous]").Click());
        Assert.StartsWith("Report 1 of 3: a-student@example.com", page.Find("[data-testid=report-student]").TextContent);
        Assert.Equal("Score: 4 / 10", page.Find("[data-testid=report-running-score]").TextContent);
    }

    [Fact]
    public async Task A_student_sees_the_grade_of_their_report_and_files_one_regrade_request_at_a_time_whose_answer_they_read()
    {
        var submission = await GradedAsync("student-1", "The matrix shows…", items: "matrix off-topic", comment: "Read the urgent row again.");
        SignIn("student-1");
        Content.Reload();

        var page = await MySubmissionsAsync();
        Assert.Equal("Report: 3 / 10 (30 / 100)", page.Find("[data-testid=report-score]").TextContent);
        Assert.Equal(["+6 Reads the matrix", "−3 Off topic"], page.FindAll("[data-testid=report-items] li").Select(li => li.TextContent));
        Assert.Equal("Instructor's comment: Read the urgent row again.", page.Find("[data-testid=report-comment-view]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=report-edit]")); // graded: the text no longer changes

        await page.InvokeAsync(() => page.Find("input[data-testid=regrade-reason]").Change("I did read the urgent row: see my second paragraph."));
        await page.InvokeAsync(() => page.Find("[data-testid=regrade-submit]").Click());
        page.WaitForAssertion(() => Assert.Contains("Waiting for an instructor's answer.", page.Find("[data-testid=regrade-request]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=regrade-submit]"));

        var reports = Services.GetRequiredService<ReportService>();
        var second = await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.RequestRegradeAsync("student-1", submission.Id, "Again."));
        Assert.Equal("A regrade request of this report is open already; wait for its answer.", second.Message);
        Assert.Equal("Say why the report should be graded again.",
            (await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.RequestRegradeAsync("student-1", submission.Id, " "))).Message);
        Assert.Equal("The reason is 1,001 characters long; at most 1,000 are accepted",
            (await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.RequestRegradeAsync("student-1", submission.Id, new string('x', 1001)))).Message);
        Assert.Equal("Only your own graded reports can be regraded.",
            (await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.RequestRegradeAsync("student-2", submission.Id, "Mine?"))).Message);

        var open = (await reports.ReportsAsync(Reviews)).Single().OpenRequest!;
        await reports.GradeAsync("teacher", Reviews, submission.Id, ["matrix"], "Agreed: the deduction is withdrawn.");
        await reports.AnswerRegradeAsync("teacher", open.Id, "You are right; the off-topic deduction is removed.");
        Assert.Equal("This regrade request has been answered already.",
            (await Assert.ThrowsAsync<ArgumentException>(() => reports.AnswerRegradeAsync("teacher", open.Id, "Twice."))).Message);

        var later = await MySubmissionsAsync();
        Assert.Equal("Report: 6 / 10 (60 / 100)", later.Find("[data-testid=report-score]").TextContent);
        Assert.Contains("Answer: You are right; the off-topic deduction is removed.", later.Find("[data-testid=regrade-request]").TextContent);
        Assert.Single(later.FindAll("[data-testid=regrade-submit]")); // answered: a new request may be filed
    }

    [Fact]
    public async Task Before_grading_a_student_edits_the_report_of_a_submission_within_the_word_limit_and_not_after_the_due_date()
    {
        var submission = await GradedAsync("student-1", "First draft.");
        SignIn("student-1");
        Content.Reload();
        var page = await MySubmissionsAsync();

        await page.InvokeAsync(() => page.Find("[data-testid=report-edit]").Click());
        await page.InvokeAsync(() => page.Find("textarea[data-testid=report-text]").Input("The **urgent** row improved."));
        await page.InvokeAsync(() => page.Find("[data-testid=report-save]").Click());

        page.WaitForAssertion(() => Assert.Contains("<strong>urgent</strong>", page.Find("[data-testid=report-body]").InnerHtml));
        var reports = Services.GetRequiredService<ReportService>();
        Assert.Equal("The report has 6 words; at most 5 are accepted. Shorten it and submit again.",
            (await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.UpdateReportAsync("student-1", Reviews, submission.Id, "one two three four five six"))).Message);
        // The page goes first: moving the fake clock by years would fire its 2-second refresh timer for each period passed.
        await DisposeComponentsAsync();
        Clock.SetUtcNow(ReviewsAssignment.Due.AddSeconds(1));
        Assert.StartsWith("Reviews was due at 2030-01-01 00:00 UTC",
            (await Assert.ThrowsAsync<SubmissionRefusedException>(() => reports.UpdateReportAsync("student-1", Reviews, submission.Id, "Late."))).Message);
        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal("The **urgent** row improved.", (await db.Submissions.SingleAsync()).Report);
    }

    [Fact]
    public async Task The_gradebook_csv_and_the_progress_show_the_automatic_the_report_and_the_combined_grade()
    {
        await GradedAsync("ann", "My report.", items: "matrix next");   // 0.75 × 62.5 + 0.25 × 100 = 71.88 (71.875)
        await GradedAsync("bob", "Waiting for grading.");             // the combined grade waits for the report
        Content.Reload();

        var csv = await Services.GetRequiredService<AssignmentService>().GradebookCsvAsync();

        Assert.Equal(string.Join(Environment.NewLine, "email,reviews_automatic,reviews_report,reviews", "ann@example.com,62.5,100,71.88", "bob@example.com,62.5,,", ""), csv);
        Clock.SetUtcNow(ReviewsAssignment.Due.AddSeconds(1));
        var progress = Services.GetRequiredService<ProgressDashboardService>();
        Assert.Equal("71.9 / 100 points (automatic 62.5 × 0.75 + report 100 × 0.25)", (await progress.GetAsync("ann")).Assignments.Single().Status);
        Assert.Equal("automatic 62.5 / 100 points; the report awaits grading", (await progress.GetAsync("bob")).Assignments.Single().Status);
    }

    /// <summary>The page anew, alone as in its circuit: its MudBlazor providers (IslandProviders) allow no second page beside it.</summary>
    private async Task<IRenderedComponent<AssignmentPage>> MySubmissionsAsync()
    {
        await DisposeComponentsAsync();
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("My submissions")).Click());
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=submission-report]")));
        return page;
    }
}
