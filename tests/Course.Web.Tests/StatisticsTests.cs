using Bunit;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Components.Pages.Instructor;
using Course.Web.Features.Statistics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

/// <summary>
/// Three students and an instructor on the quiz of <see cref="QuizTest"/> (four 1-point items: single, multiple,
/// numeric, ordering), three lessons and one assignment, with statistics worked out by hand.
/// </summary>
public class StatisticsTests : QuizTest
{
    private CourseStatisticsService Statistics => Services.GetRequiredService<CourseStatisticsService>();

    private async Task<CourseDbContext> DbAsync() => await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();

    /// <summary>
    /// First attempts (the later ones and the instructor's must not count):
    ///            item 1  item 2  item 3  item 4   total
    ///   s1         1       1       1       1        4
    ///   s2         0       0       1       1        2     (vocab.txt; input_ids + logits: ½ − ½ = 0)
    ///   s3         1       0       0       0        1
    /// </summary>
    private async Task SeedAsync()
    {
        foreach (var student in new[] { "s1", "s2", "s3" })
        {
            await StudentAsync(student);
        }
        await AddUserAsync("teacher");
        await using (var db = await DbAsync())
        {
            db.Roles.Add(new IdentityRole(CourseRoles.Instructor) { Id = "role-instructor", NormalizedName = "INSTRUCTOR" });
            db.UserRoles.Add(new IdentityUserRole<string> { UserId = "teacher", RoleId = "role-instructor" });
            db.LessonCompletions.AddRange(
                new LessonCompletion { UserId = "s1", LessonId = "4.1/hub" }, new LessonCompletion { UserId = "s2", LessonId = "4.1/hub" },
                new LessonCompletion { UserId = "teacher", LessonId = "4.1/hub" }, new LessonCompletion { UserId = "s1", LessonId = "4.1/libraries" });
            db.Submissions.AddRange(
                Graded("s1", 40), Graded("s1", 95),
                Graded("s2", null, SubmissionStatus.Failed, overridden: 55),
                Graded("s3", 100),
                Graded("teacher", 10),
                Graded("s3", null, SubmissionStatus.Queued));
            await db.SaveChangesAsync();
        }
        await AnswerAndSubmitAsync("s1");
        await AnswerAndSubmitAsync("s1", wrong: [1, 2, 3, 4]);
        await AnswerAndSubmitAsync("s2", wrong: [1, 2]);
        await AnswerAndSubmitAsync("s3", wrong: [2, 3, 4]);
        await AnswerAndSubmitAsync("teacher", wrong: [1, 2, 3, 4]);
        WriteAssignment();
    }

    private static Submission Graded(string user, double? grade, SubmissionStatus status = SubmissionStatus.Succeeded, double? overridden = null) => new()
    {
        UserId = user, AssignmentId = "sentiment", ConfigYaml = "", IdempotencyKey = Guid.NewGuid().ToString(), Status = status,
        // A graded run's public score ranks like its grade here, so each student's final selection is their best run.
        Grade = grade, PublicScore = status == SubmissionStatus.Succeeded ? grade / 100 : null, GradeOverride = overridden,
    };

    private void WriteAssignment()
    {
        var folder = Path.Combine(ContentRoot, "assignments", "sentiment");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "starter.yaml"), "task: text-classification\n");
        File.WriteAllText(Path.Combine(folder, "assignment.md"), """
            ---
            id: sentiment
            title: Review sentiment
            task: text-classification
            dataset: reviews
            metric: eval_f1
            rubric:
              - { at: 0.3, points: 0 }
              - { at: 0.9, points: 100 }
            opens: 2026-11-01T00:00:00Z
            due: 2027-03-31T23:59:59Z
            allowed_models: [tiny]
            ---
            Brief.
            """);
        var dataset = Path.Combine(ContentRoot, "datasets", "reviews");
        Directory.CreateDirectory(dataset);
        File.WriteAllText(Path.Combine(dataset, "train.jsonl"), "{\"text\": \"good\", \"label\": 1}\n");
        File.WriteAllText(Path.Combine(dataset, "validation.jsonl"), "{\"text\": \"bad\", \"label\": 0}\n");
        Content.Reload();
        Assert.Empty(Content.Current.Errors);
    }

    [Fact]
    public async Task The_service_counts_students_first_attempts_completions_and_gradebook_grades()
    {
        await SeedAsync();

        var statistics = await Statistics.GetAsync();

        Assert.Equal(3, statistics.Students);
        var version = Assert.Single(Assert.Single(statistics.Quizzes).Versions);
        Assert.True(version.IsCurrent);
        Assert.Equal(3, version.Attempts);
        // Item 2: x = 1,0,0 → facility 33.3; SD = √((4/9 + 1/9 + 1/9) / 2) = √(1/3) → 57.7.
        //   Rest y = 3,2,1; Σ dx·dy = 2/3 + 1/3 = 1, Σdx² = 2/3, Σdy² = 2 → r = 1/√(4/3) = .866 → 86.6.
        // Item 3: x = 1,1,0 → 66.7; rest y = 3,1,1; Σ dx·dy = 4/9 − 2/9 + 4/9 = 2/3, Σdx² = 2/3, Σdy² = 24/9 → r = (2/3)/(4/3) = .5 → 50.
        // Item 1: x = 1,0,1; rest y = 3,2,0; Σ dx·dy = 4/9 − 2/9 − 5/9 = −1/3, Σdx² = 2/3, Σdy² = 42/9 → r = −.189 → −18.9.
        Assert.Equal([66.7, 33.3, 66.7, 66.7], version.Items.Select(i => Math.Round(i.Facility!.Value, 1)));
        Assert.Equal([-18.9, 86.6, 50, 50], version.Items.Select(i => Math.Round(i.Discrimination!.Value, 1)));
        Assert.Equal(57.7, Math.Round(version.Items[1].StandardDeviation!.Value, 1));
        // input_ids chosen by all three, logits by s2 and s3, attention_mask by s1.
        Assert.Equal([3, 2, 1, 0], version.Items[1].Options.Select(o => o.Count));
        Assert.Equal([("4.1/hub", 2), ("4.1/libraries", 1), ("4.2/auto-classes", 0)], statistics.Lessons.Select(l => (l.Lesson.Id, l.Completed)));
        Assert.All(statistics.Lessons, l => Assert.Equal(3, l.Students));
        // Best grades 95 (s1), 55 (s2, an override of a failed run), 100 (s3); the instructor's 10 is left out.
        var grades = Assert.Single(statistics.Assignments);
        Assert.Equal(3, grades.Graded);
        Assert.Equal([0, 0, 0, 0, 0, 1, 0, 0, 0, 2], grades.Bins.Select(b => b.Count));
    }

    [Fact]
    public async Task Attempts_on_an_earlier_version_of_a_quiz_are_analysed_apart_until_re_scored()
    {
        await StudentAsync("s1");
        await StudentAsync("s2");
        await AddUserAsync("teacher");
        await AnswerAndSubmitAsync("s1");
        var earlier = Quiz.Version;
        // vocab.txt becomes the key of item 1.
        WriteQuiz("eco.md", QuizText.Replace("- [ ] vocab.txt", "- [x] vocab.txt").Replace("- [x] config.json", "- [ ] config.json"));
        await AnswerAndSubmitAsync("s2", wrong: [1]);

        var versions = Assert.Single((await Statistics.GetAsync()).Quizzes).Versions;

        Assert.Equal([(true, 1), (false, 1)], versions.Select(v => (v.IsCurrent, v.Attempts)));
        Assert.Equal(earlier, versions[1].Quiz.Version);
        // s2 chose vocab.txt, the current key; s1 chose config.json, the earlier key: both right in their version.
        Assert.Equal([100, 100], versions.Select(v => v.Items[0].Facility!.Value));

        await Services.GetRequiredService<Features.Quizzes.QuizAttemptService>().RescoreAsync("teacher", Quiz);
        var merged = Assert.Single(Assert.Single((await Statistics.GetAsync()).Quizzes).Versions);
        Assert.Equal((2, 50.0), (merged.Attempts, merged.Items[0].Facility!.Value));
    }

    [Fact]
    public async Task The_page_shows_the_numbers_warnings_and_charts_in_text()
    {
        await SeedAsync();
        SignIn("teacher", CourseRoles.Instructor);

        var page = Render<StatisticsPage>();

        page.WaitForElement("[data-testid=item-statistics]");
        Assert.Equal("3 students (instructors are not counted).", page.Find("[data-testid=student-count]").TextContent.Trim());
        var item2 = page.Find("[data-testid=item-statistics] tr[data-item='2']");
        Assert.Equal(("33.3%", "86.6", "57.7%"),
            (item2.QuerySelector(".stat-facility")!.TextContent, item2.QuerySelector(".stat-discrimination")!.TextContent, item2.QuerySelector(".stat-sd")!.TextContent));
        Assert.Contains("Which are tokenizer outputs?", item2.TextContent);
        Assert.Contains("negative discrimination", page.Find("tr[data-item='1'] .stat-warnings").TextContent);
        Assert.Empty(page.Find("tr[data-item='3'] .stat-warnings").TextContent.Trim());

        var choices = page.FindAll(".stat-choices[data-item='2'] .stat-bar").Select(Row).ToList();
        Assert.Equal(
            ["a. input_ids (correct) 3 (100%)", "b. logits 2 (67%)", "c. attention_mask (correct) 1 (33%)", "d. loss 0 (0%)", "no answer 0 (0%)"],
            choices);
        // Items 3 (numeric) and 4 (ordering) have no options to count.
        Assert.Equal(["1", "2"], page.FindAll(".stat-choices").Select(c => c.GetAttribute("data-item")!));

        Assert.Equal(["4.1 The Hub 2 of 3 (67%)", "4.1 The libraries 1 of 3 (33%)", "4.2 Auto classes 0 of 3 (0%)"],
            page.FindAll("[data-testid=lesson-completion] .stat-bar").Select(Row));
        var histogram = page.FindAll("[data-assignment=sentiment] .stat-bar").Select(Row).ToList();
        Assert.Equal(10, histogram.Count);
        Assert.Equal(("50–60 points 1 student", "90–100 points 2 students", "0–10 points 0 students"), (histogram[5], histogram[9], histogram[0]));
        Assert.Contains("Review sentiment — 3 graded", page.Find("[data-assignment=sentiment] h3").TextContent);
    }

    [Fact]
    public async Task Attempts_whose_saved_copy_cannot_be_read_are_left_out_and_counted_not_fatal()
    {
        await SeedAsync();
        await using (var db = await DbAsync())
        {
            var first = db.QuizAttempts.Where(a => a.UserId == "s2" || a.UserId == "s3").ToList();
            first.Single(a => a.UserId == "s2").QuizJson = "{}";
            first.Single(a => a.UserId == "s3").AnswersJson = "{\"1\": [";
            await db.SaveChangesAsync();
        }
        SignIn("teacher", CourseRoles.Instructor);

        var quiz = Assert.Single((await Statistics.GetAsync()).Quizzes);
        var page = Render<StatisticsPage>();

        Assert.Equal(2, quiz.Unreadable);
        // s1 alone, who answered everything right.
        var version = Assert.Single(quiz.Versions);
        Assert.Equal(1, version.Attempts);
        Assert.Equal([100, 100, 100, 100], version.Items.Select(i => i.Facility!.Value));
        page.WaitForElement("[data-testid=item-statistics]");
        Assert.Equal("2 first attempts are left out: the copy of the quiz or the answers saved with them cannot be read.",
            page.Find("[data-testid=unreadable-attempts]").TextContent.Trim());
    }

    /// <summary>A bar as a screen reader reads it: label, then value.</summary>
    private static string Row(AngleSharp.Dom.IElement bar) =>
        $"{bar.QuerySelector(".stat-bar-label")!.TextContent} {bar.QuerySelector(".stat-bar-value")!.TextContent}";
}
