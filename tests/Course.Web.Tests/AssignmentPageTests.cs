using Bunit;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Web.Components.Pages.Assignments;
using Course.Web.Features.Assignments;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

public class AssignmentPageTests : CourseComponentTest
{
    public AssignmentPageTests() => ReviewsAssignment.Write(ContentRoot);

    private async Task<IRenderedComponent<AssignmentPage>> RenderAsInstructorAsync()
    {
        var page = await RenderAsync("teacher", Course.Core.Data.CourseRoles.Instructor);
        // Found and clicked in one go: the page re-renders on its own (the refresh), which would retire a handler found earlier.
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Hidden split").Click());
        return page;
    }

    private Task<IRenderedComponent<AssignmentPage>> RenderAsStudentAsync() => RenderAsync("student-1");

    private async Task<IRenderedComponent<AssignmentPage>> RenderAsync(string userId, params string[] roles)
    {
        await AddUserAsync(userId);
        SignIn(userId, roles);
        Content.Reload();
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        return page;
    }

    private Course.Grading.HiddenSplit Resolved => Services.GetRequiredService<Course.Grading.HiddenSplits>().Resolve(Content.Current.FindAssignment("reviews")!);

    private async Task<int> AuditEntriesAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<Course.Core.Data.CourseDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.CountAsync(e => e.Action == "assignment.hidden-split" && e.ActorUserId == "teacher");
    }

    [Fact]
    public async Task An_instructor_sees_practice_grading_uploads_the_real_split_and_the_next_run_resolves_to_it()
    {
        var page = await RenderAsInstructorAsync();
        page.WaitForAssertion(() => Assert.Contains("practice grading: the hidden split is the public sample shipped with the code", page.Find("[data-testid=practice-grading]").TextContent));
        const string text = "{\"text\": \"an awful charger\", \"label\": \"negative\"}\n{\"text\": \"a great case\", \"label\": \"positive\"}\n{\"text\": \"so great\", \"label\": \"positive\"}\n";

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(text, "real-test.jsonl"));

        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        page.WaitForAssertion(() => Assert.Contains($"Stored 3 rows (SHA-256 {sha256})", page.Find("[data-testid=hidden-split-report]").TextContent));
        var labels = page.Find("[data-testid=hidden-split-labels]").QuerySelectorAll("tbody tr").Select(r => string.Join('|', r.QuerySelectorAll("td").Select(c => c.TextContent))).ToList();
        Assert.Equal(["negative|1|0|1", "positive|2|1|0"], labels); // hidden, train, validation
        Assert.Empty(page.FindAll("[data-testid=practice-grading]"));
        Assert.Contains($"the hidden split an instructor uploaded (SHA-256 {sha256})", page.Find("[data-testid=hidden-split-source]").TextContent);
        // What the next grading run reads: GradingRun resolves the hidden split the same way.
        Assert.Equal((Path.Combine(DataRoot, "hidden", "reviews", "test.jsonl"), true, false), (Resolved.Path, Resolved.Uploaded, Resolved.Practice));
        Assert.Equal(text, File.ReadAllText(Resolved.Path));
        Assert.Equal(1, await AuditEntriesAsync());
    }

    [Fact]
    public async Task A_file_with_a_public_duplicate_an_unknown_label_or_a_broken_line_is_refused_at_those_lines_and_nothing_is_stored()
    {
        var page = await RenderAsInstructorAsync();

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(
            "{\"text\": \"a new review\", \"label\": \"positive\"}\n{\"text\": \"Good!\", \"label\": \"positive\"}\n{\"text\": \"meh\", \"label\": \"neutral\"}\n{\"text\": \n", "bad.jsonl"));

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=hidden-split-errors] li").Count));
        var errors = page.FindAll("[data-testid=hidden-split-errors] li").Select(li => li.TextContent).ToList();
        Assert.Equal("line 2: repeats row 1 of the public train split (case and punctuation ignored): students train on it", errors[0]);
        Assert.Equal("line 3: \"label\" must be one of the assignment's labels (negative, positive), not 'neutral'", errors[1]);
        Assert.StartsWith("line 4: not a JSON object", errors[2]);
        Assert.False(Directory.Exists(Path.Combine(DataRoot, "hidden", "reviews")));
        Assert.True(Resolved.Practice);
        Assert.Equal(0, await AuditEntriesAsync());
    }

    [Fact]
    public async Task Students_do_not_get_the_hidden_split_tab()
    {
        var page = await RenderAsStudentAsync();

        Assert.DoesNotContain(page.FindAll(".mud-tab"), t => t.TextContent.Trim() == "Hidden split");
    }

    [Fact]
    public async Task The_data_tab_shows_the_datasets_report_with_each_finding_and_its_first_lines()
    {
        File.WriteAllLines(Path.Combine(ContentRoot, "datasets", "reviews", "train.jsonl"),
        [
            "{\"text\": \"Good value.\", \"label\": \"positive\"}",
            "{\"text\": \"good value\", \"label\": \"negative\"}",      // near duplicate of line 1, another label
            "{\"text\": \"\", \"label\": \"negative\"}",                // empty
            "{\"text\": \"Arrived<br />broken\", \"label\": \"negative\"}", // HTML
            "{\"text\": \"bad\", \"label\": \"negative\"}",             // validation's only row, exactly
        ]);
        var page = await RenderAsStudentAsync();
        static string Text(AngleSharp.Dom.IElement e) => System.Text.RegularExpressions.Regex.Replace(e.TextContent, @"\s+", " ").Trim();

        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Data").Click());

        page.WaitForAssertion(() =>
        {
            Assert.Equal("5 rows · 0–3 words (median 2) · negative 4, positive 1", Text(page.Find("[data-testid=report-train-summary]")));
            Assert.Equal(
                ["near_duplicate: 1 | 2", "exact_duplicate_across_splits: 1 | 5", "conflicting_labels: 2 | 1, 2", "empty: 1 | 3", "html: 1 | 4"],
                page.FindAll("[data-testid=report-train-findings] tbody tr")
                    .Select(r => $"{r.GetAttribute("data-kind")}: {string.Join(" | ", r.QuerySelectorAll("td").Skip(1).Select(Text))}"));
            Assert.Equal(["exact_duplicate_across_splits: 1 | 1"], page.FindAll("[data-testid=report-validation-findings] tbody tr")
                .Select(r => $"{r.GetAttribute("data-kind")}: {string.Join(" | ", r.QuerySelectorAll("td").Skip(1).Select(Text))}"));
        });
    }

    [Fact]
    public async Task The_common_fields_write_into_the_yaml_and_wait_while_it_does_not_read()
    {
        var page = await RenderAsStudentAsync();
        // Found and changed in one go: the page re-renders on its own (the refresh), which would retire a handler found earlier.
        Task Type(string selector, string value) => page.InvokeAsync(() => page.Find(selector).Change(value));
        Task TypeLearningRate(string value) => page.InvokeAsync(() => page.FindAll("[data-testid=common-fields] .mud-input-control")
            .Single(c => c.TextContent.Contains("learning_rate")).QuerySelector("input")!.Change(value));
        string? Yaml() => page.Find("textarea[data-testid=submission-yaml]").GetAttribute("value");
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Submit").Click());

        await TypeLearningRate("1e-4");
        page.WaitForAssertion(() => Assert.Equal("task: text-classification\nmodel_name_or_path: test/tiny-bert\ntraining_args:\n  learning_rate: 1e-4\n", Yaml()));

        await Type("textarea[data-testid=submission-yaml]", "task: [text-classification\n");
        page.WaitForAssertion(() => Assert.Contains("once line 2 reads: invalid YAML", page.Find("[data-testid=fields-problem]").TextContent));
        await TypeLearningRate("2e-5");
        page.WaitForAssertion(() => Assert.Equal("task: [text-classification\n", Yaml()));
    }

    [Fact]
    public async Task The_preparation_fields_show_the_keys_the_assignment_allows_with_their_values_from_the_yaml()
    {
        var page = await RenderAsStudentAsync();
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Submit").Click());
        await page.InvokeAsync(() => page.Find("textarea[data-testid=submission-yaml]").Change("task: text-classification\npreprocessing:\n  deduplicate: exact\n"));

        page.WaitForAssertion(() =>
        {
            var fields = page.Find("[data-testid=preparation-fields]");
            // max_characters is a number: it stays in the YAML editor; deduplicate is a choice, shown with the YAML's value.
            var labels = fields.QuerySelectorAll("label").Select(l => l.TextContent.Trim()).ToList();
            Assert.Equal(["preprocessing.deduplicate"], labels);
            Assert.Equal("exact", fields.QuerySelector("input")!.GetAttribute("value"));
        });
    }

    [Fact]
    public async Task The_page_follows_job_changes_once_however_often_its_parameters_change_makes_no_timer_and_stops_when_disposed()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        Assert.NotNull(Content.Current.FindAssignment("reviews"));

        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        page.Render(p => p.Add(x => x.AssignmentId, "reviews"));
        page.Render(p => p.Add(x => x.AssignmentId, "missing"));
        page.Render(p => p.Add(x => x.AssignmentId, "reviews"));

        // The one timer is MudBlazor's popover service's (once per circuit, for the page's IslandProviders); the page makes none.
        Assert.Equal((1, 1), (Jobs.Subscribers, Clock.TimersCreated));
        await DisposeComponentsAsync();
        Assert.Equal(0, Jobs.Subscribers);
    }

    private JobChangeHub Jobs => Services.GetRequiredService<JobChangeHub>();

    [Fact]
    public async Task A_running_jobs_progress_published_by_the_hub_re_renders_the_page_without_a_query_and_its_end_reads_the_row_again()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        long id;
        await using (var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            var job = new Submission
            {
                UserId = "student-1", AssignmentId = "reviews", ConfigYaml = "task: text-classification", IdempotencyKey = "k1",
                Status = SubmissionStatus.Running, LeaseOwner = "w", CreatedAt = Clock.GetUtcNow(),
            };
            db.Submissions.Add(job);
            await db.SaveChangesAsync();
            id = job.Id;
        }
        var page = await MySubmissionsAsync();
        page.WaitForAssertion(() => Assert.Equal("Preparing the run: loading the model and tokenizing the data.", page.Find("[data-testid=training-progress]").TextContent));
        Assert.Equal(1, await Jobs.PollAsync(Clock)); // the node sees the job for the first time: the page's row already shows it

        await WriteAsync(id, s => s.SetProperty(x => x.ProgressJson, """{"Step":3,"TotalSteps":10,"Epoch":0.3,"Loss":0.6931,"EtaSeconds":42}"""));
        var before = Commands.Count;
        Assert.Equal(1, await Jobs.PollAsync(Clock));

        page.WaitForAssertion(() => Assert.StartsWith("Step 3 of 10 · epoch 0.30 · loss 0.693 · about 00:42 left", page.Find("[data-testid=training-progress]").TextContent));
        Assert.Equal(before + 1, Commands.Count); // the poll's one query; the page wrote the progress into its row
        Assert.Equal(0, await Jobs.PollAsync(Clock)); // nothing new: nothing published

        await WriteAsync(id, s => s.SetProperty(x => x.Status, SubmissionStatus.Failed).SetProperty(x => x.Error, "The run diverged.").SetProperty(x => x.LeaseOwner, (string?)null));
        Assert.Equal(1, await Jobs.PollAsync(Clock));

        page.WaitForAssertion(() => Assert.Equal("Failed", page.Find("[data-testid=submission]").GetAttribute("data-status")));
        Assert.Empty(page.FindAll("[data-testid=training-progress]"));
    }

    private async Task WriteAsync(long id, Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Submission>> set)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(set));
    }

    private static readonly DateTimeOffset Due = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private async Task<Submission> GradedAsync(string userId, double publicScore, double privateScore)
    {
        var assignment = Content.Current.FindAssignment("reviews")!;
        var result = new GradingResult(
            new Dictionary<string, double>
            {
                ["eval_accuracy"] = publicScore, ["test_accuracy"] = privateScore,
                ["test_accuracy_ci95_low"] = privateScore - 0.0811, ["test_accuracy_ci95_high"] = privateScore + 0.0713,
                ["eval_positive_f1"] = 0.8, ["eval_positive_precision"] = 0.7, ["eval_positive_recall"] = 0.9, ["eval_positive_number"] = 10,
                ["test_positive_f1"] = 0.4567, ["test_positive_precision"] = 0.6, ["test_positive_recall"] = 0.8, ["test_positive_number"] = 12,
            },
            publicScore, privateScore, assignment.PointsFor(privateScore),
            new Receipt(7, 2, "test/tiny-bert", new Dictionary<string, string> { ["train"] = "a1", [GradingResult.HiddenSplitKey] = "feedc0de" }, "c", new Dictionary<string, string>(), "cpu", 1));
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var submission = new Submission
        {
            UserId = userId, AssignmentId = "reviews", ConfigYaml = "task: text-classification", IdempotencyKey = Guid.NewGuid().ToString("N"),
            Status = SubmissionStatus.Succeeded, CreatedAt = Clock.GetUtcNow(), FinishedAt = Clock.GetUtcNow(),
            PublicScore = publicScore, PrivateScore = privateScore, Grade = result.Grade, ResultJson = result.ToJson(),
        };
        db.Submissions.Add(submission);
        await db.SaveChangesAsync();
        return submission;
    }

    /// <summary>The page anew, alone as in its circuit: its MudBlazor providers (IslandProviders) allow no second page beside it.</summary>
    private async Task<IRenderedComponent<AssignmentPage>> MySubmissionsAsync()
    {
        await DisposeComponentsAsync();
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("My submissions")).Click()); // no re-render between finding and clicking
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=submission]")));
        return page;
    }

    [Fact]
    public async Task Before_the_due_date_a_student_sees_validation_figures_and_nothing_computed_on_the_hidden_split()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        await GradedAsync("student-1", publicScore: 0.8123, privateScore: 0.7321);

        var page = await MySubmissionsAsync();

        Assert.Contains("0.8123", page.Markup);
        Assert.Contains("positive", page.Find("[data-testid=per-class-eval]").TextContent);
        foreach (var hidden in new[] { "0.7321", "0.651", "0.803", "0.457", "feedc0de", "test_", "private-score", "per-class-test" })
        {
            Assert.DoesNotContain(hidden, page.Markup);
        }
        Assert.Empty(page.FindAll("[data-testid=assignment-grade]"));
    }

    [Fact]
    public async Task After_the_students_due_date_the_private_score_its_interval_and_the_grade_of_the_final_selection_appear()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        var assignment = Content.Current.FindAssignment("reviews")!;
        var best = await GradedAsync("student-1", publicScore: 0.8123, privateScore: 0.7321);
        await GradedAsync("student-1", publicScore: 0.7000, privateScore: 0.8800); // a better private score, not selected
        Clock.SetUtcNow(Due.AddSeconds(1));

        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("My submissions")).Click()); // no re-render between finding and clicking

        page.WaitForAssertion(() => Assert.Contains($"{assignment.PointsFor(0.7321):0.#} / 100 points", page.Find("[data-testid=assignment-grade]").TextContent));
        Assert.Contains("0.7321", page.Markup);
        Assert.Contains("0.651–0.803", page.Markup);
        Assert.Contains("0.457", page.Find("[data-testid=per-class-test]").TextContent);
        Assert.Equal(best.Id.ToString(), page.Find("[data-testid=in-final-selection]").Closest("[data-testid=submission]")!.QuerySelector("strong")!.TextContent.TrimStart('#'));
    }

    [Fact]
    public async Task A_kept_model_is_offered_for_publishing_only_after_the_students_due_date()
    {
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();
        var graded = await GradedAsync("student-1", publicScore: 0.8123, privateScore: 0.7321);
        await WriteAsync(graded.Id, u => u.SetProperty(s => s.KeepWeights, true));

        var before = await MySubmissionsAsync();
        Assert.Contains("After your due date (2030-01-01 00:00 UTC) you can publish it", before.Find("[data-testid=model-sharing-later]").TextContent);
        Assert.Empty(before.FindAll("[data-testid=model-publish]"));
        Clock.SetUtcNow(Due.AddSeconds(1));
        var after = await MySubmissionsAsync();

        Assert.Single(after.FindAll("[data-testid=model-publish]"));
        Assert.Single(after.FindAll("[data-testid=card-intended-use]"));
    }

    [Fact]
    public async Task Marking_final_is_limited_to_the_students_own_graded_submissions_before_their_due_date()
    {
        await AddUserAsync("student-1");
        await AddUserAsync("student-2");
        Content.Reload();
        var assignment = Content.Current.FindAssignment("reviews")!;
        var first = await GradedAsync("student-1", 0.8, 0.7);
        var second = await GradedAsync("student-1", 0.7, 0.9);
        var theirs = await GradedAsync("student-2", 0.9, 0.9);
        var assignments = Services.GetRequiredService<AssignmentService>();

        await assignments.MarkFinalAsync("student-1", assignment, second.Id, final: true);
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => assignments.MarkFinalAsync("student-1", assignment, first.Id, final: true));
        Assert.Contains("marked 1 final submission already", refused.Message);
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => assignments.MarkFinalAsync("student-1", assignment, theirs.Id, final: true));

        var standing = await assignments.StandingAsync("student-1", assignment);
        Assert.Equal([second.Id], standing.Submissions.Where(r => r.InFinalSelection).Select(r => r.Submission.Id));

        Clock.SetUtcNow(Due.AddSeconds(1));
        Assert.Contains("final selection is closed", (await Assert.ThrowsAsync<SubmissionRefusedException>(
            () => assignments.MarkFinalAsync("student-1", assignment, second.Id, final: false))).Message);
        Assert.Equal(assignment.PointsFor(0.9), (await assignments.StandingAsync("student-1", assignment)).Grade!.Combined);
    }
}
