using Course.Core.Content;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Course.E2E;

/// <summary>
/// axe-core on every page kind, as a student, a visitor and an instructor see them: no serious or critical violation
/// of WCAG 2.2 A/AA (the wcag2a … wcag22aa rule tags), and each page has one <c>main</c> landmark.
/// </summary>
[Collection(SiteCollection.Name)]
public class AccessibilityTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    private readonly List<string> _findings = [];

    private async Task CheckAsync(IPage page, string what) => _findings.AddRange(await Axe.FindingsAsync(page, what));

    private async Task VisitAsync(BrowserSession session, string path, bool interactive = true)
    {
        await session.GoToAsync(path, interactive);
        await CheckAsync(session.Page, path);
    }

    [Fact]
    public async Task Every_page_kind_has_one_main_landmark_and_no_serious_or_critical_wcag_22_aa_violation()
    {
        var content = site.Services.GetRequiredService<ContentRepository>().Current;
        var lesson = content.Lessons.First(l => l.Slug == "tokenization"); // tokenizer and pipeline widgets
        var quiz = content.Quizzes.First();
        var assignment = content.Assignments.First();

        await using (var visitor = await BrowserSession.OpenAsync(site))
        {
            await VisitAsync(visitor, "/Account/Login", interactive: false);
            await VisitAsync(visitor, "/Account/Register", interactive: false);
        }

        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync($"axe-{Guid.NewGuid():N}@example.com", Password);
        foreach (var path in new[]
        {
            "/", $"/topics/{lesson.TopicId}", lesson.Url, "/playground/tokenizer", "/playground/tokenizer?stages=true&tokenizers=sentence-transformers/all-MiniLM-L6-v2,gpt2", "/playground/inference", "/hub", "/hub/models/course/minilm-sentiment",
            $"/hub/datasets/{assignment.Rules.Dataset}", "/quizzes", "/assignments", $"/assignments/{assignment.Id}", "/progress", "/search?q=tokenizer",
            "/certificate", "/certificates/00000000000000000000000000000000?sig=x",
        })
        {
            await VisitAsync(student, path);
        }
        // The attention view drawn, and its lesson widget (which draws as it mounts).
        await student.GoToAsync("/playground/attention");
        await student.Page.GetByTestId("attention-run").ClickAsync();
        await Assertions.Expect(student.Page.Locator(".attention-panel")).ToHaveCountAsync(2);
        await CheckAsync(student.Page, "/playground/attention (drawn)");
        var attentionLesson = content.Lessons.First(l => l.Html.Contains("data-widget=\"attention\"", StringComparison.Ordinal));
        await student.GoToAsync(attentionLesson.Url);
        await Assertions.Expect(student.Page.Locator("[data-widget=attention] .attention-panel")).ToHaveCountAsync(2);
        await CheckAsync(student.Page, $"{attentionLesson.Url} (attention widget)");
        await student.GoToAsync($"/quizzes/{quiz.Id}");
        await student.Page.GetByTestId("quiz-start").ClickAsync();
        await Assertions.Expect(student.Page.GetByTestId("quiz-submit")).ToBeVisibleAsync();
        await CheckAsync(student.Page, $"/quizzes/{quiz.Id} (in progress)");
        await student.Page.GetByTestId("quiz-submit").ClickAsync();
        await Assertions.Expect(student.Page.GetByTestId("attempt-score")).ToBeVisibleAsync();
        await CheckAsync(student.Page, $"/quizzes/{quiz.Id} (review)");

        await using var instructor = await site.SignInInstructorAsync();
        foreach (var path in new[]
        {
            "/instructor/grading", $"/instructor/reports/{assignment.Id}", "/instructor/people", "/instructor/statistics", "/instructor/content",
            "/instructor/certificates", $"/instructor/editor?file=assignments/{assignment.Id}/assignment.md",
        })
        {
            await VisitAsync(instructor, path);
        }

        // The playgrounds and the hub are one click from the home page, not only in the drawer.
        await student.GoToAsync("/");
        Assert.Equal(["/playground/tokenizer", "/playground/inference", "/hub"],
            await student.Page.GetByTestId("home-try-it").Locator("a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))"));
        Assert.True(_findings.Count == 0, $"{_findings.Count} findings:\n{string.Join("\n", _findings)}");
    }

    [Fact]
    public async Task On_a_narrow_screen_the_drawer_starts_closed_opens_over_the_page_and_is_closed_on_the_next_page()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.Page.SetViewportSizeAsync(400, 800);
        await visitor.GoToAsync("/");
        var drawer = visitor.Page.Locator(".mud-drawer");
        var toggle = visitor.Page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" });

        await Assertions.Expect(drawer).ToBeHiddenAsync();
        await toggle.ClickAsync();
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        // The page keeps its full width under the open drawer.
        Assert.Equal(0, await visitor.Page.Locator(".mud-main-content").EvaluateAsync<double>("e => e.getBoundingClientRect().left"));
        await drawer.GetByRole(AriaRole.Link, new() { Name = "Search", Exact = true }).ClickAsync();
        await visitor.Page.WaitForURLAsync("**/search");
        await Assertions.Expect(drawer).ToBeHiddenAsync();

        await visitor.Page.SetViewportSizeAsync(1280, 800);
        await Assertions.Expect(drawer).ToBeVisibleAsync();
    }
}
