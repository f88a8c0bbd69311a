using Bunit;
using Course.Web.Components.Pages.Assignments;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

public class AssignmentPageTests : CourseComponentTest
{
    public AssignmentPageTests()
    {
        Directory.CreateDirectory(Path.Combine(ContentRoot, "datasets", "reviews"));
        File.WriteAllText(Path.Combine(ContentRoot, "datasets", "reviews", "train.jsonl"), "{\"text\": \"good\", \"label\": \"positive\"}\n");
        File.WriteAllText(Path.Combine(ContentRoot, "datasets", "reviews", "validation.jsonl"), "{\"text\": \"bad\", \"label\": \"negative\"}\n");
        Directory.CreateDirectory(Path.Combine(ContentRoot, "assignments", "reviews"));
        File.WriteAllText(Path.Combine(ContentRoot, "assignments", "reviews", "assignment.md"), """
            ---
            id: reviews
            title: Reviews
            task: text-classification
            dataset: reviews
            hidden_split: reviews/test.jsonl
            metric: eval_accuracy
            rubric:
              - { at: 0.5, points: 0 }
              - { at: 0.9, points: 100 }
            pass_points: 50
            opens: 2026-01-01T00:00:00Z
            due: 2030-01-01T00:00:00Z
            max_submissions_per_day: 3
            limits:
              max_epochs: 3
              max_train_examples: 100
              max_seq_length: 64
              time_limit_minutes: 10
            allowed_models: [test/tiny-bert]
            allowed_training_args: [learning_rate]
            ---
            The brief.
            """);
        File.WriteAllText(Path.Combine(ContentRoot, "assignments", "reviews", "starter.yaml"), "task: text-classification\nmodel_name_or_path: test/tiny-bert\n");
        Directory.CreateDirectory(Path.Combine(ContentRoot, "hidden-sample", "reviews"));
        File.WriteAllText(Path.Combine(ContentRoot, "hidden-sample", "reviews", "test.jsonl"), "{\"text\": \"fine\", \"label\": \"positive\"}\n");
    }

    private async Task<IRenderedComponent<AssignmentPage>> RenderAsInstructorAsync()
    {
        await AddUserAsync("teacher");
        SignIn("teacher", Course.Core.Data.CourseRoles.Instructor);
        Content.Reload();
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        // Found and clicked in one go: the page re-renders on its own (the refresh), which would retire a handler found earlier.
        await page.InvokeAsync(() => page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Hidden split").Click());
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
        await AddUserAsync("student-1");
        SignIn("student-1");
        Content.Reload();

        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));

        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        Assert.DoesNotContain(page.FindAll(".mud-tab"), t => t.TextContent.Trim() == "Hidden split");
    }

    [Fact]
    public async Task The_page_keeps_one_refresh_timer_however_often_its_parameters_change_and_disposes_it()
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

        Assert.Equal((1, 1), (Clock.TimersCreated, Clock.TimersAlive));
        await DisposeComponentsAsync();
        Assert.Equal((1, 0), (Clock.TimersCreated, Clock.TimersAlive));
    }
}
