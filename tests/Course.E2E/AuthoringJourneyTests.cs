using Course.Core.Content;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class AuthoringJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    private ContentRepository Content => site.Services.GetRequiredService<ContentRepository>();

    [Fact]
    public async Task An_instructor_edits_a_lesson_in_the_browser_and_a_reading_student_sees_it_without_a_restart()
    {
        var lesson = Content.Current.Lessons[^1];
        await using var student = await BrowserSession.OpenAsync(site);
        await student.GoToAsync(lesson.Url);
        await Expect(student.Page.Locator("h1")).ToHaveTextAsync(lesson.Title);

        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(lesson.SourcePath)}");
        var editor = instructor.Page.GetByTestId("editor-text");
        await Expect(editor).ToBeEnabledAsync();
        await Expect(instructor.Page.GetByTestId("editor-status")).ToContainTextAsync("No errors");
        var original = await editor.InputValueAsync();
        var edited = System.Text.RegularExpressions.Regex.Replace(original, "(?m)^title: .*$", $"title: \"{lesson.Title} (revised)\"")
            .Replace("\n## ", "\nA sentence added in the browser.\n\n## ");
        Assert.NotEqual(original, edited);
        await editor.FillAsync(edited);

        var preview = instructor.Page.GetByTestId("content-preview");
        await Expect(preview.Locator("h2").First).ToHaveTextAsync($"{lesson.Title} (revised)");
        await Expect(preview).ToContainTextAsync("A sentence added in the browser.");
        await Expect(instructor.Page.GetByTestId("editor-status")).ToContainTextAsync("No errors");
        await instructor.Page.GetByTestId("editor-save").ClickAsync();
        await Expect(instructor.Page.GetByTestId("editor-saved")).ToBeVisibleAsync();

        Assert.Equal(edited, File.ReadAllText(Path.Combine(site.ContentPath, lesson.SourcePath)));
        await Expect(student.Page.Locator("h1")).ToHaveTextAsync($"{lesson.Title} (revised)");
        await Expect(student.Page.Locator(".lesson-body")).ToContainTextAsync("A sentence added in the browser.");
        await Expect(instructor.Page.GetByRole(AriaRole.Button, new() { Name = "Load into the editor" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_broken_quiz_edit_is_refused_with_its_line_and_students_keep_the_old_quiz()
    {
        var quiz = Content.Current.Quizzes[0];
        var path = Path.Combine(site.ContentPath, quiz.SourcePath);
        var onDisk = File.ReadAllText(path);
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(quiz.SourcePath)}");
        await Expect(instructor.Page.GetByTestId("quiz-preview").Locator("h2")).ToHaveTextAsync(quiz.Title);
        await Expect(instructor.Page.GetByTestId("editor-text")).ToBeEnabledAsync();

        var lines = onDisk.Split('\n').ToList();
        var firstItem = lines.FindIndex(l => l.StartsWith("## ", StringComparison.Ordinal));
        lines.Insert(firstItem, "## essay: Write about attention.");
        lines.Insert(firstItem + 1, "");
        await instructor.Page.GetByTestId("editor-text").FillAsync(string.Join('\n', lines));

        var errors = instructor.Page.GetByTestId("editor-errors");
        await Expect(errors).ToContainTextAsync($"line {firstItem + 1}: unknown item type 'essay'");
        await instructor.Page.GetByTestId("editor-save").ClickAsync();
        await Expect(errors).ToContainTextAsync($"line {firstItem + 1}");
        await Expect(instructor.Page.GetByTestId("editor-saved")).ToHaveCountAsync(0);

        Assert.Equal(onDisk, File.ReadAllText(path));
        Assert.Equal(quiz.Version, Content.Current.FindQuiz(quiz.Id)!.Version);
        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync($"sam-{Guid.NewGuid():N}@example.com", Password);
        await student.GoToAsync($"/quizzes/{quiz.Id}");
        await Expect(student.Page.Locator("h1")).ToHaveTextAsync(quiz.Title);
    }

    [Fact]
    public async Task The_quiz_preview_can_be_answered_and_the_quiz_downloaded_as_gift()
    {
        var quiz = Content.Current.Quizzes.First(q => q.Items[0].Type == Course.Core.Quizzes.QuizItemType.Single);
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(quiz.SourcePath)}");
        await Expect(instructor.Page.GetByTestId("editor-text")).ToBeEnabledAsync();
        var preview = instructor.Page.GetByTestId("quiz-preview");
        var right = quiz.Items[0].Options.Single(o => o.Correct);
        await preview.Locator($"[data-item='{quiz.Items[0].Number}'] input[value='{right.Id}']").CheckAsync();
        await instructor.Page.GetByTestId("preview-check").ClickAsync();

        await Expect(preview.Locator($"[data-item='{quiz.Items[0].Number}'] .quiz-verdict-text")).ToHaveTextAsync("Correct");
        await Expect(instructor.Page.GetByTestId("preview-score")).ToContainTextAsync($"of {quiz.MaxPoints:0.##} points");

        var gift = await instructor.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + await instructor.Page.GetByTestId("gift-export").GetAttributeAsync("href"));
        Assert.Equal(200, gift.Status);
        Assert.Contains($"// course: id={quiz.Id}", await gift.TextAsync());
    }

    [Fact]
    public async Task The_instructor_dashboard_shows_statistics_for_every_quiz_and_lesson()
    {
        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync($"stat-{Guid.NewGuid():N}@example.com", Password);
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync("/instructor/statistics");

        await Expect(instructor.Page.Locator("h1")).ToHaveTextAsync("Course statistics");
        await Expect(instructor.Page.GetByTestId("student-count")).ToContainTextAsync("student");
        await Expect(instructor.Page.GetByTestId("lesson-completion")).ToContainTextAsync(Content.Current.Lessons[0].Title);
    }

    /// <summary>Every route whose endpoint requires the instructor policy, found in the running site (new ones included).</summary>
    [Fact]
    public async Task A_student_gets_403_on_every_instructor_route()
    {
        var routes = site.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == "Instructor"))
            .Select(e => "/" + System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!.TrimStart('/'), @"\{[^}]+\}", "x"))
            .Distinct().ToList();
        Assert.Contains("/instructor/editor", routes);
        Assert.Contains("/instructor/content", routes);
        Assert.Contains("/instructor/gradebook.csv", routes);
        Assert.Contains("/instructor/editor/export.gift", routes);
        Assert.Contains("/instructor/statistics", routes);
        Assert.Contains("/instructor/certificates", routes);

        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync($"eve-{Guid.NewGuid():N}@example.com", Password);
        foreach (var route in routes.Append($"/instructor/editor?file={Uri.EscapeDataString(Content.Current.Quizzes[0].SourcePath)}"))
        {
            var response = await student.Page.APIRequest.GetAsync(site.BaseUrl.TrimEnd('/') + route, new() { MaxRedirects = 0 });
            Assert.True(response.Status == 403, $"{route}: {response.Status}");
        }
        await student.GoToAsync("/instructor/editor", interactive: false);
        await Expect(student.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Access denied");
    }
}
