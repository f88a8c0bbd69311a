using Bunit;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Web.Components.Pages.Assignments;
using Course.Web.Features.Assignments;
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

    private IRenderedComponent<AssignmentPage> MySubmissions()
    {
        var page = Render<AssignmentPage>(p => p.Add(x => x.AssignmentId, "reviews"));
        page.WaitForAssertion(() => Assert.Contains("The brief.", page.Markup));
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("My submissions")).Click();
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

        var page = MySubmissions();

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
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("My submissions")).Click();

        page.WaitForAssertion(() => Assert.Contains($"{assignment.PointsFor(0.7321):0.#} / 100 points", page.Find("[data-testid=assignment-grade]").TextContent));
        Assert.Contains("0.7321", page.Markup);
        Assert.Contains("0.651–0.803", page.Markup);
        Assert.Contains("0.457", page.Find("[data-testid=per-class-test]").TextContent);
        Assert.Equal(best.Id.ToString(), page.Find("[data-testid=in-final-selection]").Closest("[data-testid=submission]")!.QuerySelector("strong")!.TextContent.TrimStart('#'));
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
        Assert.Equal(assignment.PointsFor(0.9), (await assignments.StandingAsync("student-1", assignment)).Grade);
    }
}
