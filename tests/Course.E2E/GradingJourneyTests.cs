using Course.Core.Data;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class GradingJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    [Fact]
    public async Task A_student_submits_each_starter_watches_it_train_gets_graded_and_the_instructor_sees_the_gradebook()
    {
        var email = $"gina-{Guid.NewGuid():N}@example.com";
        await using var student = await BrowserSession.OpenAsync(site);
        var frames = new List<byte[]>(); // everything the site's circuits send this browser
        student.Page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            lock (frames) frames.Add(frame.Binary ?? System.Text.Encoding.UTF8.GetBytes(frame.Text ?? ""));
        };
        await student.RegisterAsync(email, Password);
        var content = site.Services.GetRequiredService<Course.Core.Content.ContentRepository>().Current;
        var assignments = content.Assignments.Select(a => a.Id).ToList();

        foreach (var id in assignments)
        {
            await student.GoToAsync($"/assignments/{id}");
            await student.Page.GetByRole(AriaRole.Tab, new() { Name = "Submit" }).ClickAsync();
            await Expect(student.Page.GetByTestId("submission-yaml")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("model_name_or_path"));
            await student.Page.GetByTestId("submission-submit").ClickAsync();
            await Expect(student.Page.GetByTestId("submission")).ToHaveCountAsync(1);
        }

        // The first one trains while the others wait their turn (one worker beside the site). The waits follow the
        // queue in the database, as long as it makes progress, however slow the machine; the pages are then checked.
        var databases = site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        var jobs = new Dictionary<string, long>();
        await using (var db = await databases.CreateDbContextAsync())
        {
            var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            foreach (var submission in await db.Submissions.Where(s => s.UserId == userId).ToListAsync())
            {
                jobs[submission.AssignmentId] = submission.Id;
            }
        }
        var watch = new JobWatch(databases);
        await watch.UntilAsync(jobs["sentiment"], s => GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 } || s.Status != SubmissionStatus.Queued && s.Status != SubmissionStatus.Running);
        await student.GoToAsync("/assignments/sentiment");
        await student.Page.GetByRole(AriaRole.Tab, new() { Name = "My submissions" }).ClickAsync();
        await Expect(student.Page.GetByTestId("submission")).ToHaveCountAsync(1);
        foreach (var id in assignments)
        {
            var done = await watch.UntilAsync(jobs[id], s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
            Assert.Equal(SubmissionStatus.Succeeded, done.Status);
            await student.GoToAsync($"/assignments/{id}");
            await student.Page.GetByRole(AriaRole.Tab, new() { Name = "My submissions" }).ClickAsync();
            await Expect(student.Page.GetByTestId("submission-grade")).ToContainTextAsync("Validation");
            await Expect(student.Page.Locator("[data-testid=submission][data-status=Succeeded]")).ToHaveCountAsync(1);
            await Expect(student.Page.GetByTestId("hidden-pending")).ToBeVisibleAsync();
        }
        await Expect(student.Page.GetByTestId("confusion-matrix-eval")).ToBeVisibleAsync(); // ticket-urgency: counts on the validation split

        // Before the due date nothing computed on the hidden split reached the browser: not in a page, not in a frame.
        List<Submission> graded;
        await using (var db = await databases.CreateDbContextAsync())
        {
            graded = await db.Submissions.AsNoTracking().Where(s => jobs.Values.Contains(s.Id)).ToListAsync();
        }
        string received;
        lock (frames) received = string.Concat(frames.Select(f => System.Text.Encoding.UTF8.GetString(f)));
        var seen = received + await student.Page.ContentAsync();
        Assert.DoesNotMatch(@"test_(accuracy|f1|precision|recall|loss|confusion)", seen); // no hidden metric by name (test_file is in the starter's comment)
        Assert.DoesNotContain("private-score", seen);
        foreach (var submission in graded)
        {
            var result = Course.Grading.GradingResult.FromJson(submission.ResultJson)!;
            Assert.DoesNotContain(result.Receipt.DatasetSha256[Course.Grading.GradingResult.HiddenSplitKey], seen);
            // The private score as the page would print it, unless a validation figure prints the same (a collapsed model can score alike on both).
            var hidden = submission.PrivateScore!.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
            if (!result.Metrics.Where(m => m.Key.StartsWith("eval_", StringComparison.Ordinal)).Any(m => m.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) == hidden))
            {
                Assert.DoesNotContain($">{hidden}<", seen);
            }
        }

        // After the due date (the site's clock moved past it) the private score, its interval and the grade appear.
        site.Clock.Offset = assignments.Max(id => content.FindAssignment(id)!.Rules.Due!.Value) - DateTimeOffset.UtcNow + TimeSpan.FromDays(1);
        try
        {
            await using var later = await BrowserSession.OpenAsync(site);
            await later.SignInAsync(email, Password);
            foreach (var submission in graded)
            {
                var assignment = content.FindAssignment(submission.AssignmentId)!;
                await later.GoToAsync($"/assignments/{assignment.Id}");
                await later.Page.GetByRole(AriaRole.Tab, new() { Name = "My submissions" }).ClickAsync();
                await Expect(later.Page.GetByTestId("private-score")).ToHaveTextAsync(submission.PrivateScore!.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture));
                await Expect(later.Page.GetByTestId("submission-grade")).ToContainTextAsync("95 % interval");
                // No report was written: the report part scores 0 and the grade combines the two.
                var grade = Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == assignment.Id), assignment);
                await Expect(later.Page.GetByTestId("assignment-grade")).ToContainTextAsync(Course.Web.Features.Assignments.GradeText.Of(grade, assignment));
            }
        }
        finally
        {
            site.Clock.Offset = TimeSpan.Zero;
        }

        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync("/instructor/grading");
        await instructor.Page.GetByRole(AriaRole.Tab, new() { Name = "Gradebook" }).ClickAsync();
        var row = instructor.Page.GetByTestId("gradebook").Locator("tr", new() { HasText = email });
        // Instructors see each grade before the due date: the rubric on the student's final selection, with the report's columns beside it.
        var expected = content.Assignments.SelectMany(a => Course.Web.Features.Assignments.AssignmentService.GradebookCells(a,
            Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == a.Id), a))).Select(v => v?.ToString("0.#") ?? "").ToList();
        await Expect(row.Locator("td")).ToHaveCountAsync(1 + 5 + expected.Count);
        Assert.Equal(expected, (await row.Locator("td").AllInnerTextsAsync()).TakeLast(expected.Count));
    }

    [Fact]
    public async Task Instructors_are_told_plainly_that_the_shipped_sample_makes_grading_practice()
    {
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync("/instructor/grading");
        await Expect(instructor.Page.GetByTestId("practice-grading")).ToHaveCountAsync(site.Services.GetRequiredService<Course.Core.Content.ContentRepository>().Current.Assignments.Count);
        await Expect(instructor.Page.GetByTestId("practice-grading").First).ToContainTextAsync("practice grading: the hidden split is the public sample shipped with the code");

        await instructor.GoToAsync("/assignments/sentiment");
        await instructor.Page.GetByRole(AriaRole.Tab, new() { Name = "Hidden split" }).ClickAsync();
        await Expect(instructor.Page.GetByTestId("practice-grading")).ToContainTextAsync("practice grading: the hidden split is the public sample shipped with the code");
        await Expect(instructor.Page.GetByTestId("hidden-split-file")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Students_cannot_download_hidden_splits()
    {
        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync($"hugo-{Guid.NewGuid():N}@example.com", Password);

        foreach (var path in new[] { "/assignments/sentiment/files/test.jsonl", "/assignments/sentiment/files/..%2F..%2F..%2Fhidden-sample%2Fproduct-reviews%2Ftest.jsonl", "/hidden-sample/product-reviews/test.jsonl" })
        {
            var response = await student.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + path);
            Assert.Equal(404, response.Status);
        }
        var train = await student.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + "/assignments/sentiment/files/train.jsonl");
        Assert.Equal(200, train.Status);
    }
}
