using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class SearchJourneyTests(SiteFixture site)
{
    [Fact]
    public async Task A_question_typed_in_the_app_bar_finds_the_lesson_that_answers_it_by_meaning()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/");

        var box = visitor.Page.Locator("form[role=search] input[name=q]");
        await box.FillAsync("how do I make all sentences in a batch the same length?");
        await box.PressAsync("Enter");

        // The site embeds every passage of the course when it starts: on a busy machine that takes minutes, and the
        // page re-ranks by itself when the index is ready.
        await Expect(visitor.Page.GetByTestId("search-ranking")).ToContainTextAsync("Ranked by meaning", new() { Timeout = 600_000 });
        var hits = visitor.Page.Locator(".search-hit");
        await Expect(hits.First).ToBeVisibleAsync();
        var firstThree = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            firstThree.Add(await hits.Nth(i).GetAttributeAsync("data-document"));
        }
        // Phrased as a student asks, not as the lesson is headed: keyword search alone misses it (docs/benchmarks.md).
        Assert.Contains("4.2/tokenization", firstThree);
        await Expect(hits.Locator("a", new() { HasText = "Understanding tokenization" })).ToHaveAttributeAsync("href", "/topics/4.2/tokenization");
    }
}
