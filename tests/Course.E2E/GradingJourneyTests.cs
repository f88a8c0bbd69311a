using Course.Core.Assignments;
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

    /// <summary>
    /// The starter with the data preparation its brief teaches, as far as the assignment allows each key (text
    /// cleaning, de-duplication, head+tail truncation, the IOB1 conversion, threshold moving where allowed).
    /// </summary>
    private static string Prepared(Assignment assignment, string starter)
    {
        var choices = new Dictionary<string, string>
        {
            ["clean_text"] = "[strip_html, strip_urls, normalize_whitespace]", ["drop_empty"] = "true", ["deduplicate"] = "normalized",
            ["truncation"] = "head+tail", ["label_scheme"] = "iob1",
        };
        var preprocessing = string.Concat(choices.Where(c => assignment.Rules.AllowedPreprocessing.Contains(c.Key)).Select(c => $"  {c.Key}: {c.Value}\n"));
        var decision = assignment.Rules.AllowedDecision.Contains("class_bias") ? "decision:\n  class_bias: tuned\n  tune_for: f1\n" : "";
        return $"{starter.TrimEnd()}\npreprocessing:\n{preprocessing}{decision}";
    }

    private static string ReportFor(Assignment assignment) =>
        $"## {assignment.Title}\n\nOn validation the **{assignment.Rules.Metric}** is what I read first; next I would try a bolder learning rate.";

    [Fact]
    public async Task A_student_submits_each_assignment_with_preparation_and_a_report_and_it_is_graded_by_machine_and_instructor_into_progress_gradebook_and_csv()
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

        var typed = new Dictionary<string, string>();
        foreach (var assignment in content.Assignments)
        {
            await student.GoToAsync($"/assignments/{assignment.Id}");
            await student.OpenTabAsync("Submit");
            var yaml = student.Page.GetByTestId("submission-yaml");
            await Expect(yaml).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("model_name_or_path"));
            typed[assignment.Id] = Prepared(assignment, await yaml.InputValueAsync());
            await yaml.FillAsync(typed[assignment.Id]);
            if (assignment.Rules.Report is not null)
            {
                await student.Page.GetByTestId("report-text").FillAsync(ReportFor(assignment));
            }
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
        await student.OpenTabAsync("My submissions");
        await Expect(student.Page.GetByTestId("submission")).ToHaveCountAsync(1);
        foreach (var assignment in content.Assignments)
        {
            var done = await watch.UntilAsync(jobs[assignment.Id], s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
            Assert.Equal(SubmissionStatus.Succeeded, done.Status);
            // What was typed is what was graded, with the report beside it.
            Assert.Equal((typed[assignment.Id], ReportFor(assignment)), (done.ConfigYaml, done.Report));
            await student.GoToAsync($"/assignments/{assignment.Id}");
            await student.OpenTabAsync("My submissions");
            await Expect(student.Page.GetByTestId("submission-grade")).ToContainTextAsync("Validation");
            await Expect(student.Page.Locator("[data-testid=submission][data-status=Succeeded]")).ToHaveCountAsync(1);
            await Expect(student.Page.GetByTestId("hidden-pending")).ToBeVisibleAsync();
            // The preparation ran on the train split as the assignment caps it, and the student reads what it did.
            await Expect(student.Page.GetByTestId("data-preparation"))
                .ToContainTextAsync($"Data preparation: {assignment.Rules.Limits.MaxTrainExamples} train rows → ");
            if (assignment.Rules.AllowedDecision.Contains("class_bias"))
            {
                // Threshold moving ran: the plain argmax's figure is reported beside the tuned one.
                Assert.Contains("eval_no_bias_f1", Course.Grading.GradingResult.FromJson(done.ResultJson)!.Metrics.Keys);
                await Expect(student.Page.GetByTestId("confusion-matrix-eval")).ToBeVisibleAsync(); // counts on the validation split
            }
        }

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

        // The instructor grades each report with its rubric's first item, from the grading queue's link to it.
        await using var instructor = await site.SignInInstructorAsync();
        foreach (var assignment in content.Assignments.Where(a => a.Rules.Report is not null))
        {
            await instructor.GoToAsync("/instructor/grading");
            await instructor.Page.Locator($"[data-testid=queue-row][data-id='{jobs[assignment.Id]}']").GetByRole(AriaRole.Button, new() { Name = "Log" }).ClickAsync();
            await instructor.Page.GetByTestId("grade-report-link").ClickAsync();
            await Expect(instructor.Page.GetByTestId("report-student")).ToContainTextAsync($"{email} (#{jobs[assignment.Id]})");
            var rules = assignment.Rules.Report!;
            var item = rules.Rubric.First(i => i.Points > 0);
            await instructor.Page.GetByTestId($"rubric-item-{item.Id}").CheckAsync();
            await Expect(instructor.Page.GetByTestId("report-running-score")).ToHaveTextAsync($"Score: {item.Points:0.##} / {rules.MaxPoints:0.##}");
            await instructor.Page.GetByTestId("report-grade").ClickAsync();
            await Expect(instructor.Page.GetByTestId("report-graded-by")).ToContainTextAsync($"by {site.InstructorEmail}");
        }
        await using (var db = await databases.CreateDbContextAsync())
        {
            graded = await db.Submissions.AsNoTracking().Where(s => jobs.Values.Contains(s.Id)).ToListAsync();
        }
        Assert.All(graded, s => Assert.NotNull(s.ReportGradedAt));

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
                await later.OpenTabAsync("My submissions");
                await Expect(later.Page.GetByTestId("private-score")).ToHaveTextAsync(submission.PrivateScore!.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture));
                await Expect(later.Page.GetByTestId("submission-grade")).ToContainTextAsync("95 % interval");
                // The automatic part and the graded report, combined by the report's weight.
                var grade = Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == assignment.Id), assignment);
                Assert.NotNull(grade.Combined);
                await Expect(later.Page.GetByTestId("assignment-grade")).ToContainTextAsync(Course.Web.Features.Assignments.GradeText.Of(grade, assignment));
            }
            await later.GoToAsync("/progress");
            foreach (var assignment in content.Assignments)
            {
                var grade = Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == assignment.Id), assignment);
                await Expect(later.Page.Locator($"[data-testid=progress-assignments] tr[data-assignment={assignment.Id}]"))
                    .ToContainTextAsync(Course.Web.Features.Assignments.GradeText.Of(grade, assignment));
            }
        }
        finally
        {
            site.Clock.Offset = TimeSpan.Zero;
        }

        await instructor.GoToAsync("/instructor/grading");
        await instructor.OpenTabAsync("Gradebook");
        var row = instructor.Page.GetByTestId("gradebook").Locator("tr", new() { HasText = email });
        // Instructors see each grade before the due date: the rubric on the student's final selection, with the report's columns beside it.
        var expected = content.Assignments.SelectMany(a => Course.Web.Features.Assignments.AssignmentService.GradebookCells(a,
            Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == a.Id), a))).Select(v => v?.ToString("0.#") ?? "").ToList();
        await Expect(row.Locator("td")).ToHaveCountAsync(1 + 5 + expected.Count);
        Assert.Equal(expected, (await row.Locator("td").AllInnerTextsAsync()).TakeLast(expected.Count));

        // The CSV carries the same three columns per assignment (automatic, report, combined), at two decimals.
        var csv = (await (await instructor.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + "/instructor/gradebook.csv")).TextAsync()).Split('\n');
        var header = csv[0].TrimEnd('\r').Split(',').ToList();
        var line = csv.Single(l => l.StartsWith(email + ",", StringComparison.Ordinal)).TrimEnd('\r').Split(',');
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var assignment in content.Assignments)
        {
            var grade = Course.Grading.ReportGrades.GradeOf(graded.Where(s => s.AssignmentId == assignment.Id), assignment);
            Assert.Equal((grade.Automatic!.Value.ToString("0.##", invariant), grade.Report!.Percent.ToString("0.##", invariant), grade.Combined!.Value.ToString("0.##", invariant)),
                (line[header.IndexOf($"{assignment.Id}_automatic")], line[header.IndexOf($"{assignment.Id}_report")], line[header.IndexOf(assignment.Id)]));
        }
    }

    [Fact]
    public async Task Instructors_are_told_plainly_that_the_shipped_sample_makes_grading_practice()
    {
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync("/instructor/grading");
        await Expect(instructor.Page.GetByTestId("practice-grading")).ToHaveCountAsync(site.Services.GetRequiredService<Course.Core.Content.ContentRepository>().Current.Assignments.Count);
        await Expect(instructor.Page.GetByTestId("practice-grading").First).ToContainTextAsync("practice grading: the hidden split is the public sample shipped with the code");

        await instructor.GoToAsync("/assignments/sentiment");
        await instructor.OpenTabAsync("Hidden split");
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
