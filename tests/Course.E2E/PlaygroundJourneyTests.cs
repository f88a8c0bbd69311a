using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class PlaygroundJourneyTests(SiteFixture site)
{
    /// <summary>Where the journeys save the README's screenshots, taken from the running site (unset: none are taken).</summary>
    private static readonly string? ScreenshotFolder = Environment.GetEnvironmentVariable("COURSE_E2E_SCREENSHOTS");

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

    [Fact]
    public async Task Pipeline_stages_show_each_step_with_spans_of_the_original_text_for_all_three_algorithms()
    {
        await using var visitor = await BrowserSession.OpenAsync(site);
        await visitor.GoToAsync("/playground/tokenizer?tokenizers=sentence-transformers/all-MiniLM-L6-v2,gpt2,course/sentencepiece-unigram");

        await visitor.Page.GetByTestId("tokenizer-text").FillAsync("Héllo,  wörld 🤗");
        // The text is tokenized (and in the address bar) before the box is ticked, as when a person reads the tokens first.
        await Expect(visitor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("text=H%C3%A9llo"));
        await visitor.Page.GetByLabel("Pipeline stages").CheckAsync();

        ILocator Stage(string tokenizer, string stage) =>
            visitor.Page.Locator($".pipeline-stages[data-tokenizer='{tokenizer}'] [data-stage={stage}] [role=listitem]");
        const string bert = "sentence-transformers/all-MiniLM-L6-v2";
        // WordPiece: the normaliser lower-cases and strips accents; the pre-tokenizer splits off punctuation.
        await Expect(visitor.Page.Locator($".pipeline-stages[data-tokenizer='{bert}'] [data-stage=normalizer] .stage-changed")).ToHaveTextAsync(["h", "e", "o"]);
        await Expect(Stage(bert, "pre_tokenizer")).ToHaveTextAsync(["hello", ",", "world", "🤗"]);
        await Expect(Stage(bert, "pre_tokenizer").Nth(2)).ToHaveAttributeAsync("title", "characters [8, 13) “wörld”");
        await Expect(Stage(bert, "model")).ToHaveTextAsync(["hello", ",", "world", "[UNK]"]);
        await Expect(Stage(bert, "model").Nth(3)).ToHaveAttributeAsync("title", "id 100 · characters [14, 16) “🤗”");
        await Expect(Stage(bert, "post_processor")).ToHaveTextAsync(["[CLS]", "hello", ",", "world", "[UNK]", "[SEP]"]);
        await Expect(visitor.Page.Locator($".pipeline-stages[data-tokenizer='{bert}'] .stage-template")).ToHaveTextAsync("template [CLS] $A [SEP]");
        // Byte-level BPE: no normaliser change; pieces spelled in GPT-2's byte alphabet, spans still in the typed text.
        await Expect(Stage("gpt2", "normalizer")).ToHaveTextAsync(["Héllo,··wörld·🤗"]);
        await Expect(Stage("gpt2", "pre_tokenizer")).ToHaveTextAsync(["HÃ©llo", ",", "Ġ", "ĠwÃ¶rld", "ĠðŁ¤Ĺ"]);
        await Expect(Stage("gpt2", "pre_tokenizer").Nth(4)).ToHaveAttributeAsync("title", "characters [13, 16) “ 🤗”");
        // SentencePiece: Metaspace words start with ▁ and leave the spaces out of their spans.
        await Expect(Stage("course/sentencepiece-unigram", "pre_tokenizer")).ToHaveTextAsync(["▁Héllo,", "▁wörld", "▁🤗"]);
        await Expect(Stage("course/sentencepiece-unigram", "pre_tokenizer").Nth(1)).ToHaveAttributeAsync("title", "characters [8, 13) “wörld”");
        await Expect(Stage("course/sentencepiece-unigram", "post_processor").Last).ToHaveTextAsync("</s>");
        await Expect(visitor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("stages=true"));

        await visitor.Page.GetByTestId("tokenizer-text").FillAsync("");
        await Expect(visitor.Page.Locator(".tokenizer-playground .mud-alert")).ToContainTextAsync("Type some text to tokenize.");
        await Expect(visitor.Page.Locator(".pipeline-stages")).ToHaveCountAsync(0);

        if (ScreenshotFolder is not null)
        {
            // A shared link opens with the stages shown. Latin and Greek only: a bare Chromium has no CJK or emoji font.
            await visitor.Page.SetViewportSizeAsync(1400, 1640);
            await visitor.GoToAsync("/playground/tokenizer?tokenizers=sentence-transformers/all-MiniLM-L6-v2,gpt2,course/sentencepiece-unigram&stages=true&text="
                + Uri.EscapeDataString("Héllo,  wörld! Ελληνικά, naïve"));
            await Expect(visitor.Page.Locator(".pipeline-stages")).ToHaveCountAsync(3);
            await visitor.Page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "tokenizer-stages.png") });
        }
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
        await visitor.Page.Locator("[aria-label='Examples from the model card'] .example-chip").First.ClickAsync();

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
        await visitor.Page.GetByTestId("attention-token").SelectOptionAsync(new SelectOptionValue { Label = "every token" }); // the same from the keyboard's picker
        await Expect(encoder.Locator("svg.head-view text.focused")).ToHaveCountAsync(0);

        // The layer picker moves both panels; the tiny model has one layer and says so.
        await visitor.Page.GetByTestId("attention-layer").SelectOptionAsync("5");
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

        var picker = visitor.Page.GetByTestId("inference-model");
        var options = picker.Locator("option");
        await Expect(options.First).ToHaveTextAsync("course/minilm-ner"); // the task's demo model first
        await Expect(options.Filter(new() { HasText = "course/minilm-sentiment" })).ToHaveCountAsync(0); // another task's model is not offered
        await picker.SelectOptionAsync("course/minilm-ner");
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
