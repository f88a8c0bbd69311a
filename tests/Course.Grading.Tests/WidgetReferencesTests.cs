using Course.Core.Content;
using Course.Grading.Content;
using Course.Ml.Hub;

namespace Course.Grading.Tests;

public sealed class WidgetReferencesTests : IDisposable
{
    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-widgets-").FullName);

    public void Dispose() => Directory.Delete(_hub.Root, recursive: true);

    private string? Check(string line)
    {
        var space = line.IndexOf(' ');
        Assert.Null(DirectiveSyntax.TryParse(line[..space], line[(space + 1)..], out var directive));
        return new WidgetReferences(_hub).Check(directive!);
    }

    [Theory]
    [InlineData("""tokenizer text="hi" """)]
    [InlineData("""tokenizer tokenizers="gpt2, course/sentencepiece-unigram" text="hi" """)]
    [InlineData("""pipeline task="fill-mask" text="Paris is the [MASK] of France." """)]
    [InlineData("""pipeline task="text-classification" model="course/minilm-sentiment" text="great" """)]
    [InlineData("""pipeline task="text-classification" model="sentence-transformers/all-MiniLM-L6-v2" text="great" """)]
    [InlineData("""attention text="The cat sat." pair="It was tired." model="course/minilm-sentiment" """)]
    [InlineData("""attention text="The cat sat." """)]
    public void Widgets_naming_what_the_platform_has_pass(string line) => Assert.Null(Check(line));

    [Fact]
    public void A_model_in_the_local_hub_passes()
    {
        Directory.CreateDirectory(_hub.PathOf("someone/my-model"));
        File.WriteAllText(Path.Combine(_hub.PathOf("someone/my-model"), "config.json"), "{}");

        Assert.Null(Check("""pipeline task="text-classification" model="someone/my-model" text="x" """));
    }

    [Theory]
    [InlineData("""tokenizer tokenizers="gpt2,bert-base-cased" text="hi" """, "tokenizer 'bert-base-cased' is not in the playground")]
    [InlineData("""pipeline task="summarization" text="x" """, "task 'summarization' has no live widget")]
    [InlineData("""pipeline task="text-classification" model="someone/missing" text="x" """, "model 'someone/missing' is not in the local hub")]
    [InlineData("""attention text="x" model="someone/missing" """, "model 'someone/missing' is not in the local hub")]
    public void Widgets_naming_what_does_not_exist_are_reported(string line, string message) =>
        Assert.StartsWith(message, Check(line));

    [Fact]
    public void The_validator_reports_a_missing_model_at_the_widget_line()
    {
        var html = LessonMarkdown.Render("# T\n\nText.\n\n::: pipeline task=\"fill-mask\" model=\"nobody/nothing\"\n:::\n", "topics/t/a.md", _ => null,
            new WidgetReferences(_hub).Check);

        var error = Assert.Single(html.Errors);
        Assert.Equal(("topics/t/a.md", 5), (error.File, error.Line));
        Assert.Contains("model 'nobody/nothing' is not in the local hub", error.Message);
    }
}
