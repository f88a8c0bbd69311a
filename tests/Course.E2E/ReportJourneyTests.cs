using Course.Core.Data;
using Course.Grading;
using Course.Tests.Shared;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class ReportJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    [Fact]
    public async Task A_report_submitted_in_the_browser_is_graded_with_rubric_items_regraded_on_request_and_combined_in_progress_gradebook_and_csv()
    {
        var email = $"rita-{Guid.NewGuid():N}@example.com";
        const string assignmentId = "ticket-urgency";
        const string report = "## Urgent tickets\n\nThe confusion matrix sends **every** urgent ticket to `high`.";
        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync(email, Password);
        await student.GoToAsync($"/assignments/{assignmentId}");
        await student.OpenTabAsync("Submit");
        await Expect(student.Page.GetByTestId("report-prompts").Locator("li")).ToHaveCountAsync(3);
        await student.Page.GetByTestId("report-text").FillAsync(report);
        await Expect(student.Page.GetByTestId("report-words")).ToHaveTextAsync("11 / 400 words");
        await student.Page.GetByTestId("submission-submit").ClickAsync();
        await Expect(student.Page.GetByTestId("submission")).ToHaveCountAsync(1);

        // The grading runs in the worker beside the site; the wait follows the queue in the database while it makes progress.
        var databases = site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        string userId;
        long jobId;
        await using (var db = await databases.CreateDbContextAsync())
        {
            userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            var submitted = await db.Submissions.SingleAsync(s => s.UserId == userId);
            (jobId, var stored) = (submitted.Id, submitted.Report);
            Assert.Equal(report, stored);
        }
        var done = await new JobWatch(databases).UntilAsync(jobId, s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
        Assert.Equal(SubmissionStatus.Succeeded, done.Status);

        // The instructor grades it, opened at this submission (other journeys' reports may wait too).
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync($"/instructor/reports/{assignmentId}?submission={jobId}");
        await Expect(instructor.Page.GetByTestId("report-student")).ToContainTextAsync(email);
        await Expect(instructor.Page.GetByTestId("report-body").Locator("strong")).ToHaveTextAsync("every");
        await instructor.Page.GetByTestId("rubric-item-confusion-matrix").CheckAsync();
        await instructor.Page.GetByTestId("rubric-item-remaining-errors").CheckAsync();
        await Expect(instructor.Page.GetByTestId("report-running-score")).ToHaveTextAsync("Score: 5 / 10");
        await instructor.Page.GetByTestId("report-comment").FillAsync("Say what you would try next.");
        await instructor.Page.GetByTestId("report-grade").ClickAsync();
        await Expect(instructor.Page.GetByTestId("report-graded-by")).ToContainTextAsync($"by {site.InstructorEmail}");

        // The student reads the grade and asks for a regrade.
        await student.GoToAsync($"/assignments/{assignmentId}");
        await student.OpenTabAsync("My submissions");
        await Expect(student.Page.GetByTestId("report-score")).ToHaveTextAsync("Report: 5 / 10 (50 / 100)");
        await Expect(student.Page.GetByTestId("report-comment-view")).ToHaveTextAsync("Instructor's comment: Say what you would try next.");
        await student.Page.GetByTestId("regrade-reason").FillAsync("My last sentence proposes class weights.");
        await student.Page.GetByTestId("regrade-submit").ClickAsync();
        await Expect(student.Page.GetByTestId("regrade-request")).ToContainTextAsync("Waiting for an instructor's answer.");

        // The instructor finds the open request, adds the item and answers.
        await instructor.GoToAsync($"/instructor/reports/{assignmentId}");
        await instructor.Page.GetByTestId("open-regrade").GetByText(email).ClickAsync();
        await Expect(instructor.Page.GetByTestId("regrade-open")).ToContainTextAsync("My last sentence proposes class weights.");
        await instructor.Page.GetByTestId("rubric-item-next-steps").CheckAsync();
        await Expect(instructor.Page.GetByTestId("report-running-score")).ToHaveTextAsync("Score: 7 / 10");
        await instructor.Page.GetByTestId("regrade-reply").FillAsync("Granted: next steps added.");
        await instructor.Page.GetByTestId("regrade-answer").ClickAsync();
        await Expect(instructor.Page.GetByTestId("regrade-open")).ToHaveCountAsync(0);
        await instructor.Page.GetByTestId("report-grade").ClickAsync();
        await Expect(instructor.Page.GetByTestId("reports-summary")).ToContainTextAsync("0 open regrade requests");

        await student.GoToAsync($"/assignments/{assignmentId}");
        await student.OpenTabAsync("My submissions");
        await Expect(student.Page.GetByTestId("report-score")).ToHaveTextAsync("Report: 7 / 10 (70 / 100)");
        await Expect(student.Page.GetByTestId("regrade-request")).ToContainTextAsync("Answer: Granted: next steps added.");

        // The combined grade: 0.8 × automatic + 0.2 × 70, as the grade rules compute it from the rows.
        var content = site.Services.GetRequiredService<Course.Core.Content.ContentRepository>().Current;
        var assignment = content.FindAssignment(assignmentId)!;
        List<Submission> mine;
        await using (var db = await databases.CreateDbContextAsync())
        {
            mine = await db.Submissions.AsNoTracking().Where(s => s.UserId == userId).ToListAsync();
        }
        var grade = ReportGrades.GradeOf(mine, assignment);
        Assert.Equal((70, ReportGrades.Combine(grade.Automatic!.Value, 70, 0.2)), (grade.Report!.Percent, grade.Combined));

        // The student's progress shows it once the hidden split is released (after the due date; a new sign-in, as the
        // cookie from before has expired by the moved clock).
        site.Clock.Offset = assignment.Rules.Due!.Value - DateTimeOffset.UtcNow + TimeSpan.FromDays(1);
        try
        {
            await using var later = await BrowserSession.OpenAsync(site);
            await later.SignInAsync(email, Password);
            await later.GoToAsync("/progress");
            await Expect(later.Page.Locator($"[data-testid=progress-assignments] tr[data-assignment={assignmentId}]")).ToContainTextAsync(GradeText.Of(grade, assignment));
        }
        finally
        {
            site.Clock.Offset = TimeSpan.Zero;
        }

        // The gradebook and its CSV: automatic, report and combined columns.
        await instructor.GoToAsync("/instructor/grading");
        await instructor.OpenTabAsync("Gradebook");
        // The tab renders its table after the click, over the circuit: wait for the student's row before reading any.
        var gradebook = instructor.Page.GetByTestId("gradebook");
        var studentRow = gradebook.Locator("tr", new() { HasText = email });
        await Expect(studentRow).ToBeVisibleAsync();
        var columns = await gradebook.Locator("thead th").AllInnerTextsAsync();
        await Expect(studentRow.Locator("td")).ToHaveCountAsync(columns.Count);
        var cells = await studentRow.Locator("td").AllInnerTextsAsync();
        string Cell(string column) => cells[columns.ToList().IndexOf(column)];
        Assert.Equal((grade.Automatic.Value.ToString("0.#"), "70", grade.Combined!.Value.ToString("0.#")),
            (Cell($"{assignmentId}_automatic"), Cell($"{assignmentId}_report"), Cell(assignmentId)));

        var csv = (await (await instructor.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + "/instructor/gradebook.csv")).TextAsync()).Split('\n');
        var header = csv[0].TrimEnd('\r').Split(',').ToList();
        var row = csv.Single(l => l.StartsWith(email + ",", StringComparison.Ordinal)).TrimEnd('\r').Split(',');
        string Csv(string column) => row[header.IndexOf(column)];
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Equal((grade.Automatic.Value.ToString("0.##", invariant), "70", grade.Combined.Value.ToString("0.##", invariant)),
            (Csv($"{assignmentId}_automatic"), Csv($"{assignmentId}_report"), Csv(assignmentId)));
    }
}
