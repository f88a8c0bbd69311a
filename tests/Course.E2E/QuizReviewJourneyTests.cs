using Course.Core.Content;
using Course.Core.Quizzes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class QuizReviewJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    [Fact]
    public async Task A_blank_first_attempt_reveals_no_key_until_the_last_attempt_and_option_ids_do_not_follow_the_file()
    {
        var quiz = site.Services.GetRequiredService<ContentRepository>().Current.Quizzes.Single(q => q.Attempts == 2 && !q.Practice);
        await using var student = await BrowserSession.OpenAsync(site);
        var email = $"blank-{Guid.NewGuid():N}@example.com";
        await student.RegisterAsync(email, Password);
        var page = student.Page;
        await student.GoToAsync($"/quizzes/{quiz.Id}");

        // Attempt 1: the DOM names every option by the attempt's token.
        await page.GetByTestId("quiz-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("quiz-submit")).ToBeVisibleAsync();
        var secret = new AttemptSecret((await QuizJourneyTests.OpenAttemptAsync(site, email, quiz.Id)).Secret);
        var inFileOrder = 0;
        var optionItems = quiz.Items.Where(i => i.Options.Count > 2).ToList();
        foreach (var item in optionItems)
        {
            var ids = await page.Locator($"[data-item='{item.Number}'] [data-option]").EvaluateAllAsync<string[]>("e => e.map(x => x.dataset.option)");
            var tokens = item.Options.Select(o => secret.Token(item.Number, o.Id)).ToList();
            Assert.Equal(tokens.Order(), ids.Order());
            inFileOrder += ids.Order(StringComparer.Ordinal).SequenceEqual(tokens) ? 1 : 0;
        }
        Assert.True(inFileOrder < optionItems.Count, "sorting the option ids of every item gave its file order");
        var values = await page.Locator("input[type=radio], input[type=checkbox]").EvaluateAllAsync<string[]>("e => e.map(x => x.value)");
        Assert.All(values, v => Assert.Matches("^o[0-9a-f]{16}$", v));

        await page.GetByTestId("quiz-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("attempt-score")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator(".quiz-verdict-text")).ToHaveCountAsync(quiz.Items.Count);
        await Assertions.Expect(page.Locator(".quiz-explanation, .quiz-key, .quiz-feedback, .is-correct")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("Correct answer", new() { Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("review-note")).ToContainTextAsync("Correct answers are shown after your last attempt");

        // Attempt 2, the last: submitted blank too, after which every attempt shows the key and the explanations.
        await page.GetByRole(AriaRole.Button, new() { Name = "Back to the quiz" }).ClickAsync();
        await page.GetByTestId("quiz-start").ClickAsync();
        await page.GetByTestId("quiz-submit").ClickAsync();
        await Assertions.Expect(page.Locator(".quiz-explanation")).ToHaveCountAsync(quiz.Items.Count);
        Assert.True(await page.GetByText("Correct answer", new() { Exact = true }).CountAsync() >= 1, "the right options are marked");

        await page.GetByRole(AriaRole.Button, new() { Name = "Back to the quiz" }).ClickAsync();
        await page.GetByTestId("quiz-attempts").GetByRole(AriaRole.Button, new() { Name = "Review" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=quiz-result] h2")).ToContainTextAsync("Attempt 1");
        await Assertions.Expect(page.Locator(".quiz-explanation")).ToHaveCountAsync(quiz.Items.Count);
    }
}
