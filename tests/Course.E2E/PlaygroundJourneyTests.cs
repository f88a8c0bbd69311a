using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class PlaygroundJourneyTests(SiteFixture site)
{
    [Fact]
    public async Task Typing_in_the_tokenizer_playground_shows_cls_sep_and_ids_and_keeps_the_text_in_the_url()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/playground/tokenizer");

        await visitor.Page.GetByTestId("tokenizer-text").FillAsync("Hello world");

        var spans = visitor.Page.Locator(".token-spans[data-tokenizer='sentence-transformers/all-MiniLM-L6-v2']");
        await Expect(spans.Locator(".token-row[role=list] .token")).ToHaveTextAsync(["[CLS]", "hello", "world", "[SEP]"]);
        await Expect(spans.Locator(".token-ids .token-cell")).ToHaveTextAsync(["101", "7592", "2088", "102"]);
        await Expect(visitor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("text=Hello(%20|\\+)world"));
    }

    [Theory]
    [InlineData("text-classification", ".probability-bar")]
    [InlineData("token-classification", ".entity-text")]
    [InlineData("question-answering", "[data-testid=qa-answer]")]
    [InlineData("fill-mask", ".mask-predictions li")]
    public async Task Each_pipeline_answers_in_the_inference_playground(string task, string output)
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync($"/playground/inference?task={task}");
        // The model card's widget examples are offered; the first fills the inputs.
        await visitor.Page.Locator("[aria-label='Examples from the model card'] .mud-chip").First.ClickAsync();

        await visitor.Page.GetByTestId("inference-run").ClickAsync();

        var answered = visitor.Page.Locator("[data-testid=inference-output], [data-testid=inference-error]");
        await Expect(answered).ToBeVisibleAsync();
        Assert.Equal("inference-output", await answered.GetAttributeAsync("data-testid") is var id && id == "inference-error" ? await answered.InnerTextAsync() : id);
        await Expect(visitor.Page.GetByTestId("inference-output").Locator(output).First).ToBeVisibleAsync();
        await Expect(visitor.Page.GetByTestId("inference-time")).ToContainTextAsync("ms");
        await Expect(visitor.Page.GetByTestId("inference-error")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_inference_playground_picks_a_model_from_the_hub_models_of_the_task()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/playground/inference?task=token-classification");

        await visitor.Page.GetByTestId("inference-model").ClickAsync();
        var options = visitor.Page.GetByRole(AriaRole.Option);
        await Expect(options.First).ToHaveTextAsync("course/minilm-ner"); // the task's demo model first
        await Expect(options.Filter(new() { HasText = "course/minilm-sentiment" })).ToHaveCountAsync(0); // another task's model is not offered
        await options.First.ClickAsync();
        await visitor.Page.GetByTestId("inference-run").ClickAsync();

        await Expect(visitor.Page.GetByTestId("inference-output").Locator(".entity-text").First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_lesson_mounts_its_tokenizer_widget_live()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/topics/4.2/tokenization");

        // The lesson's first widget: ::: tokenizer text="Hello, my dog is cute" (the default WordPiece tokenizer).
        var widget = visitor.Page.Locator(".lesson-widget[data-widget=tokenizer]").First;
        await Expect(widget.Locator(".token-row[role=list] .token")).ToHaveTextAsync(["[CLS]", "hello", ",", "my", "dog", "is", "cute", "[SEP]"]);
        await Expect(widget.Locator(".token-ids .token-cell")).ToHaveTextAsync(["101", "7592", "1010", "2026", "3899", "2003", "10140", "102"]);
    }
}
