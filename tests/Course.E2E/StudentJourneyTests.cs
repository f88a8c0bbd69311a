using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class StudentJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    [Fact]
    public async Task A_new_student_registers_completes_a_lesson_and_it_stays_completed_after_a_reload_and_a_restart()
    {
        var lesson = site.FirstLesson;
        var email = $"ada-{Guid.NewGuid():N}@example.com";
        await using (var student = await BrowserSession.OpenAsync(site))
        {
            await student.RegisterAsync(email, Password);
            await Expect(student.Page.Locator(".account-name")).ToHaveTextAsync(email);

            await student.GoToAsync(lesson.Url);
            await Expect(student.Page.Locator("h1")).ToHaveTextAsync(lesson.Title);
            await Expect(student.Page.Locator(".lesson-body")).Not.ToBeEmptyAsync();
            await student.Page.GetByRole(AriaRole.Button, new() { Name = "Mark as complete" }).ClickAsync();
            await Expect(student.Page.GetByTestId("lesson-completed")).ToBeVisibleAsync();

            await student.Page.ReloadAsync();
            await student.WaitUntilInteractiveAsync();
            await Expect(student.Page.GetByTestId("lesson-completed")).ToBeVisibleAsync();
        }

        await site.RestartAsync();

        await using var again = await BrowserSession.OpenAsync(site);
        await again.SignInAsync(email, Password);
        await Expect(again.Page.Locator(".account-name")).ToHaveTextAsync(email);
        await again.GoToAsync(lesson.Url);
        await Expect(again.Page.GetByTestId("lesson-completed")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_home_page_presents_the_module_and_its_four_topics()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);

        await visitor.GoToAsync("/");

        await Expect(visitor.Page.Locator("h1")).ToHaveTextAsync("Working with Hugging Face Transformers");
        await Expect(visitor.Page.Locator(".topic-card")).ToHaveCountAsync(4);
        await Expect(visitor.Page.Locator(".topic-card").First).ToContainTextAsync("Topic 4.1 · 1 - 1.5 hours");
    }

    [Fact]
    public async Task A_lesson_page_has_highlighted_code_and_a_table_of_contents()
    {
        var lesson = site.FirstLesson;
        await using var visitor = await BrowserSession.OpenAsync(site);

        await visitor.GoToAsync(lesson.Url);

        await Expect(visitor.Page.Locator(".lesson-toc a")).ToHaveCountAsync(lesson.Toc.Count);
        await Expect(visitor.Page.Locator(".code-block[data-lang=python] .keyword").First).ToBeVisibleAsync();
        await visitor.Page.Locator(".lesson-toc a").Last.ClickAsync();
        await Expect(visitor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#" + lesson.Toc[^1].Anchor + "$"));
    }

    [Fact]
    public async Task The_generated_instructor_chooses_a_password_then_sees_people()
    {
        await using var instructor = await site.SignInInstructorAsync();
        await instructor.GoToAsync("/instructor/people");

        await Expect(instructor.Page.Locator("h1")).ToHaveTextAsync("People");
        await Expect(instructor.Page.Locator("td", new() { HasText = site.InstructorEmail })).ToBeVisibleAsync();
        Assert.False(File.Exists(Path.Combine(site.DataPath, "initial-instructor.txt")));
    }

    [Fact]
    public async Task Repeated_wrong_passwords_lock_the_account()
    {
        var email = $"mallory-{Guid.NewGuid():N}@example.com";
        await using (var owner = await BrowserSession.OpenAsync(site))
        {
            await owner.RegisterAsync(email, Password);
        }

        await using var attacker = await BrowserSession.OpenAsync(site);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await attacker.SignInAsync(email, "wrong-password");
        }

        await Expect(attacker.Page.Locator("h1")).ToHaveTextAsync("Account locked");
        await attacker.SignInAsync(email, Password);
        await Expect(attacker.Page.Locator("h1")).ToHaveTextAsync("Account locked");
    }
}
