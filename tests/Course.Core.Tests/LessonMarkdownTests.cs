using Course.Core.Content;

namespace Course.Core.Tests;

public class LessonMarkdownTests
{
    private const string File = "topics/4.1-first/01-a.md";

    private static RenderedMarkdown Render(string markdown, Func<string, string?>? resolve = null) =>
        LessonMarkdown.Render(markdown, File, resolve ?? (_ => null));

    [Fact]
    public void Headings_get_anchors_and_levels_two_and_three_form_the_table_of_contents()
    {
        var result = Render("Intro\n\n## Loading a model\n\ntext\n\n### The `config.json` file\n\n#### Too deep\n");

        Assert.Contains("<h2 id=\"loading-a-model\">Loading a model</h2>", result.Html);
        Assert.Equal(
            [new TocEntry(2, "loading-a-model", "Loading a model"), new TocEntry(3, "the-config.json-file", "The config.json file")],
            result.Toc);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Python_code_is_highlighted_on_the_server_and_unknown_languages_are_escaped()
    {
        var result = Render("```python\nimport torch\nx = \"<b>\"\n```\n\n```bash\necho '<b>'\n```\n");

        Assert.Contains("data-lang=\"python\"", result.Html);
        Assert.Contains("<span class=\"keyword\">import</span>", result.Html);
        Assert.Contains("data-lang=\"bash\"", result.Html);
        Assert.Contains("echo '&lt;b&gt;'", result.Html);
        Assert.DoesNotContain("<b>", result.Html);
    }

    [Fact]
    public void An_attention_widget_is_a_figure_with_its_inputs_that_the_page_mounts_as_the_live_view()
    {
        var result = Render("::: attention text=\"The cat sat.\" pair=\"It was tired.\" model=\"course/minilm-sentiment\"\n:::\n");

        Assert.Empty(result.Errors);
        Assert.Contains("<figcaption><strong>Try it</strong>: attention view</figcaption>", result.Html);
        var widget = LessonSegments.Split(result.Html)[0].Widget!;
        Assert.Equal(("attention", "The cat sat.", "It was tired.", "course/minilm-sentiment"), (widget.Name, widget["text"], widget["pair"], widget["model"]));
        Assert.Contains("directive 'attention' has no attribute 'task'", Assert.Single(Render("::: attention task=\"x\"\n:::\n").Errors).Message);
    }

    [Fact]
    public void Raw_html_is_not_rendered()
    {
        var result = Render("Hello <script>alert(1)</script> and <b>bold</b>\n\n<div>block</div>\n");

        Assert.DoesNotContain("<script>", result.Html);
        Assert.DoesNotContain("<div>block", result.Html);
        Assert.Contains("&lt;script&gt;", result.Html);
    }

    [Fact]
    public void Callout_directives_render_as_labelled_asides_with_their_markdown_body()
    {
        var result = Render("::: tip title=\"Use the GPU\"\nSet `device=0` in **pipeline**.\n:::\n");

        Assert.Empty(result.Errors);
        Assert.Contains("<aside class=\"callout callout-tip\" role=\"note\">", result.Html);
        Assert.Contains("<strong>Tip</strong>: Use the GPU", result.Html);
        Assert.Contains("<code>device=0</code>", result.Html);
        Assert.Contains("<strong>pipeline</strong>", result.Html);
    }

    [Theory]
    [InlineData("::: sidebar\nx\n:::\n", 1, "unknown directive 'sidebar'")]
    [InlineData("para\n\n::: note title=unquoted\nx\n:::\n", 3, "malformed attributes")]
    [InlineData("::: note colour=\"red\"\nx\n:::\n", 1, "has no attribute 'colour'")]
    [InlineData("::: note title=\"a\" title=\"b\"\nx\n:::\n", 1, "given twice")]
    [InlineData("text\n\n::: warning\nnever closed\n", 3, "never closed")]
    [InlineData(":::\nx\n:::\n", 1, "directive without a name")]
    public void Malformed_directives_are_reported_at_their_line(string markdown, int line, string message)
    {
        var error = Assert.Single(Render(markdown).Errors);

        Assert.Equal(File, error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Nested_directives_are_rejected()
    {
        var result = Render("::::: note\nouter\n\n::: tip\ninner\n:::\n:::::\n");

        Assert.Contains(result.Errors, e => e.Line == 4 && e.Message.Contains("cannot be nested"));
    }

    [Fact]
    public void Relative_lesson_links_become_site_urls_and_keep_their_anchor()
    {
        var resolved = new List<string>();
        var result = Render("See [tokenizers](../4.2-second/02-tokenizers.md#wordpiece) and [docs](https://huggingface.co/docs).",
            path => { resolved.Add(path); return "/topics/4.2/tokenizers"; });

        Assert.Equal(["topics/4.2-second/02-tokenizers.md"], resolved);
        Assert.Contains("href=\"/topics/4.2/tokenizers#wordpiece\"", result.Html);
        Assert.Contains("href=\"https://huggingface.co/docs\"", result.Html);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Broken_links_and_local_images_are_errors_at_their_line()
    {
        var result = Render("line one\n\nSee [missing](02-missing.md).\n\n![diagram](img/d.png)\n");

        Assert.Collection(result.Errors,
            e => { Assert.Equal(3, e.Line); Assert.Contains("broken link '02-missing.md'", e.Message); },
            e => { Assert.Equal(5, e.Line); Assert.Contains("image 'img/d.png'", e.Message); });
    }

    [Fact]
    public void Front_matter_is_separated_from_the_body_with_its_starting_line()
    {
        var result = Render("---\ntitle: T\n---\nBody text\n");

        Assert.Equal("title: T", result.FrontMatter);
        Assert.Equal(2, result.FrontMatterLine);
        Assert.DoesNotContain("title: T", result.Html);
        Assert.Contains("Body text", result.PlainText);
    }

    [Theory]
    [InlineData("topics/a/01.md", "02.md", "topics/a/02.md")]
    [InlineData("topics/a/01.md", "../b/03.md", "topics/b/03.md")]
    [InlineData("topics/a/01.md", "./x/../04.md", "topics/a/04.md")]
    public void Relative_paths_combine_against_the_linking_file(string file, string relative, string expected)
    {
        Assert.Equal(expected, LessonMarkdown.CombineRelative(file, relative));
    }
}

public class LessonSegmentsTests
{
    [Fact]
    public void Widgets_are_cut_out_of_the_html_with_their_attributes_and_the_rest_kept_in_order()
    {
        var html = LessonMarkdown.Render("Before.\n\n::: pipeline task=\"fill-mask\" text=\"A [MASK] test & more\"\n:::\n\nBetween.\n\n::: tokenizer tokenizers=\"gpt2,cl100k_base\" text=\"hi\"\n:::\n\nAfter.\n",
            "topics/x/01-a.md", _ => null).Html;

        var segments = LessonSegments.Split(html);

        Assert.Equal(5, segments.Count);
        Assert.Contains("Before.", segments[0].Html);
        Assert.Equal(("pipeline", "fill-mask", "A [MASK] test & more"), (segments[1].Widget!.Name, segments[1].Widget!["task"], segments[1].Widget!["text"]));
        Assert.Contains("Between.", segments[2].Html);
        Assert.Equal("gpt2,cl100k_base", segments[3].Widget!["tokenizers"]);
        Assert.Contains("After.", segments[4].Html);
        Assert.Null(segments[4].Widget);
    }

    [Fact]
    public void Lessons_with_highlighted_code_render_alike_on_many_threads_at_once()
    {
        var markdown = string.Concat(Enumerable.Range(0, 40).Select(i => $"```python\nfrom transformers import AutoModel  # {i}\n" +
            string.Concat(Enumerable.Repeat("model = AutoModel.from_pretrained(\"bert\", num_labels=2)  # a comment\n", 20)) + "```\n\n"));
        var expected = LessonMarkdown.Render(markdown, "topics/x/a.md", _ => null).Html;

        var results = new string[48];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = LessonMarkdown.Render(markdown, "topics/x/a.md", _ => null).Html);

        Assert.All(results, html => Assert.Equal(expected, html));
    }
}
