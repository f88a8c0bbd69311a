using Bunit;
using Course.Web.Components.Pages.Assignments;

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
}
