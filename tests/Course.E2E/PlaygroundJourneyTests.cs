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
    public async Task The_attention_view_draws_the_base_encoder_beside_the_fine_tuned_model_by_layer_and_head()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/playground/attention?text=The%20cat%20sat.&pair=It%20was%20tired.");

        await visitor.Page.GetByTestId("attention-run").ClickAsync();

        var panels = visitor.Page.Locator(".attention-panel");
        await Expect(panels).ToHaveCountAsync(2);
        var (encoder, tuned) = (panels.Nth(0), panels.Nth(1));
        await Expect(encoder).ToHaveAttributeAsync("data-model", "sentence-transformers/all-MiniLM-L6-v2");
        await Expect(tuned).ToHaveAttributeAsync("data-model", "course/minilm-sentiment");
        // Both drew the same 11 tokens, in two columns; MiniLM has 12 heads per layer, the tiny test model 2.
        await Expect(encoder.Locator("svg.head-view text").First).ToHaveTextAsync("[CLS]");
        await Expect(encoder.Locator("svg.head-view text")).ToHaveCountAsync(22);
        await Expect(tuned.Locator("svg.head-view text")).ToHaveCountAsync(22);
        await Expect(encoder.Locator(".attention-thumbnail")).ToHaveCountAsync(12);
        await Expect(tuned.Locator(".attention-thumbnail")).ToHaveCountAsync(2);
        await Expect(encoder.Locator(".attention-shares tbody tr")).ToHaveCountAsync(2);

        // A thumbnail shows that head alone; a token on the left keeps only its own lines (at most one per key).
        await encoder.Locator(".attention-thumbnail").Nth(3).ClickAsync();
        await Expect(encoder.Locator(".attention-thumbnail").Nth(3)).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(encoder.Locator("svg.head-view line:not([data-head='3'])")).ToHaveCountAsync(0);
        Assert.True(await encoder.Locator("svg.head-view line[data-head='3']").CountAsync() > 11, "every token has at least one line");
        await encoder.Locator("svg.head-view text").Nth(4).ClickAsync(); // "cat" in the left column (each token: left, then right)
        await Expect(encoder.Locator("svg.head-view text.focused")).ToHaveTextAsync("cat");
        Assert.InRange(await encoder.Locator("svg.head-view line").CountAsync(), 1, 11);
        await visitor.Page.GetByTestId("attention-token").ClickAsync(); // the same from the keyboard's picker
        await visitor.Page.GetByRole(AriaRole.Option, new() { Name = "every token", Exact = true }).ClickAsync();
        await Expect(encoder.Locator("svg.head-view text.focused")).ToHaveCountAsync(0);

        // The layer picker moves both panels; the tiny model has one layer and says so.
        await visitor.Page.GetByTestId("attention-layer").ClickAsync();
        await visitor.Page.GetByRole(AriaRole.Option, new() { Name = "5", Exact = true }).ClickAsync();
        await Expect(encoder.Locator(".attention-shares caption")).ToContainTextAsync("layer 5");
        await Expect(tuned).ToContainTextAsync("course/minilm-sentiment has 1 layer(s); showing layer 0.");

        // Too long for the drawing: a message saying what to change, for both models.
        await visitor.Page.GetByTestId("attention-text").FillAsync(string.Join(' ', Enumerable.Repeat("word", 60)));
        await visitor.Page.GetByTestId("attention-run").ClickAsync();
        await Expect(visitor.Page.GetByTestId("attention-error")).ToHaveCountAsync(2);
        await Expect(visitor.Page.GetByTestId("attention-error").First).ToContainTextAsync("at most 48 are shown: shorten it.");
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
