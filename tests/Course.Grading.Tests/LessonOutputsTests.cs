using System.Text.RegularExpressions;
using Course.Core.Content;
using Course.Grading.Content;
using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Tests.Shared;

namespace Course.Grading.Tests;

public sealed class LessonOutputsTests : IDisposable
{
    private const string MiniLm = "sentence-transformers/all-MiniLM-L6-v2";
    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-outputs-").FullName);
    private readonly string _content = Directory.CreateTempSubdirectory("course-outputs-content-").FullName;

    public LessonOutputsTests() => _hub.Install(PackagedModels.Find(MiniLm)!);

    public void Dispose()
    {
        Directory.Delete(_hub.Root, recursive: true);
        Directory.Delete(_content, recursive: true);
    }

    private static string Block(string attributes, string expected) => $"::: output {attributes}\n```text\n{expected}\n```\n:::\n";

    [Fact]
    public void Every_output_the_course_shows_is_what_the_platform_computes()
    {
        var root = Path.Combine(Repository.Root, "content");
        var blocks = Directory.EnumerateFiles(Path.Combine(root, "topics"), "*.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "assignments"), "*.md", SearchOption.AllDirectories))
            .Sum(f => File.ReadLines(f).Count(l => l.StartsWith("::: output ", StringComparison.Ordinal)));

        var report = new LessonOutputs(_hub).Verify(root);

        Assert.Empty(report.Differences);
        Assert.Equal(blocks, report.Checked);
    }

    [Fact]
    public void A_lesson_whose_output_differs_is_reported_at_its_line_with_both_outputs()
    {
        // bert-base-uncased's vocabulary (MiniLM's) has "transform" and "##er" but no "transformer"; its ids are
        // line numbers of vocab.txt less one. gpt2's ids for "Hello world" are Hugging Face's documented example.
        var vocabulary = File.ReadAllLines(Path.Combine(_hub.PathOf(MiniLm), "vocab.txt"));
        var (hello, world) = (Array.IndexOf(vocabulary, "hello"), Array.IndexOf(vocabulary, "world"));
        Directory.CreateDirectory(Path.Combine(_content, "topics", "t"));
        File.WriteAllText(Path.Combine(_content, "topics", "t", "a.md"),
            "# A\n\n" +
            Block($"""check="tokens" tokenizer="{MiniLm}" text="Using a Transformer network is simple" """, "['using', 'a', 'transform', '##er', 'network', 'is', 'simple']") + "\n" +
            Block($"""check="input_ids" tokenizer="{MiniLm}" text="Hello world" """, $"[101, {hello}, {world}, 102]") + "\n" +
            Block("""check="input_ids" tokenizer="gpt2" text="Hello world" """, "[15496, 995]") + "\n" +
            Block($"""check="tokens" tokenizer="{MiniLm}" text="Using a Transformer" """, "['Using', 'a', 'Trans', '##former']"));

        var report = new LessonOutputs(_hub).Verify(_content);

        Assert.Equal(4, report.Checked);
        Assert.Equal([new OutputDifference("topics/t/a.md", 21, "['Using', 'a', 'Trans', '##former']", "['using', 'a', 'transform', '##er']")], report.Differences);
    }

    [Fact]
    public void Encodings_decodes_and_word_ids_print_as_python_prints_them()
    {
        var outputs = new LessonOutputs(_hub);
        var vocabulary = File.ReadAllLines(Path.Combine(_hub.PathOf(MiniLm), "vocab.txt"));
        var (hello, world) = (Array.IndexOf(vocabulary, "hello"), Array.IndexOf(vocabulary, "world"));
        string Compute(string attributes)
        {
            Assert.Null(DirectiveSyntax.TryParse("output", attributes, out var directive));
            return outputs.Compute(directive!);
        }

        Assert.Equal($"{{'input_ids': [101, {hello}, 102, {world}, 102], 'token_type_ids': [0, 0, 0, 1, 1], 'attention_mask': [1, 1, 1, 1, 1]}}",
            Compute($"""check="encoding" tokenizer="{MiniLm}" text="Hello" pair="world" """));
        Assert.Equal("[CLS] hello world [SEP]", Compute($"""check="decode" tokenizer="{MiniLm}" text="Hello World" """));
        Assert.Equal("[None, 0, 1, None]", Compute($"""check="word_ids" tokenizer="{MiniLm}" text="Hello world" """));
        Assert.Equal("50257", Compute("""check="vocab_size" tokenizer="gpt2" """));
    }

    [Fact]
    public void A_block_with_several_checks_prints_one_line_per_check_and_a_wrong_line_is_a_difference()
    {
        var vocabulary = File.ReadAllLines(Path.Combine(_hub.PathOf(MiniLm), "vocab.txt"));
        var (hello, world) = (Array.IndexOf(vocabulary, "hello"), Array.IndexOf(vocabulary, "world"));
        Directory.CreateDirectory(Path.Combine(_content, "topics", "t"));
        var attributes = $"""check="tokens,token_ids,input_ids" tokenizer="{MiniLm}" text="Hello world" """;
        File.WriteAllText(Path.Combine(_content, "topics", "t", "a.md"),
            "# A\n\n" +
            Block(attributes, $"['hello', 'world']\n[{hello}, {world}]\n[101, {hello}, {world}, 102]") + "\n" +
            Block(attributes, $"['hello', 'world']\n[{hello}, {world}]\n[{hello}, {world}]"));

        var report = new LessonOutputs(_hub).Verify(_content);

        Assert.Equal(2, report.Checked);
        Assert.Equal([new OutputDifference("topics/t/a.md", 11, $"['hello', 'world']\n[{hello}, {world}]\n[{hello}, {world}]",
            $"['hello', 'world']\n[{hello}, {world}]\n[101, {hello}, {world}, 102]")], report.Differences);
    }

    [Fact]
    public void Segments_tokens_of_ids_offsets_and_skipped_specials_print_as_python_prints_them()
    {
        var outputs = new LessonOutputs(_hub);
        string Compute(string attributes)
        {
            Assert.Null(DirectiveSyntax.TryParse("output", attributes, out var directive));
            return outputs.Compute(directive!);
        }

        Assert.Equal("[0, 0, 0, 1, 1]\n['[CLS]', 'hello', '[SEP]', 'world', '[SEP]']\n[CLS] hello [SEP] world [SEP]\nhello world",
            Compute($"""check="token_type_ids,ids_to_tokens,decode,decode_skip_special" tokenizer="{MiniLm}" text="Hello" pair="World" """));
        Assert.Equal("[(0, 0), (0, 5), (5, 6), (7, 12), (0, 0)]", Compute($"""check="offset_mapping" tokenizer="{MiniLm}" text="Hello, world" """));
        Assert.Equal("[15496, 995]\nKeyError: 'token_type_ids'", Compute("""check="token_ids,token_type_ids" tokenizer="gpt2" text="Hello world" """));
    }

    [Fact]
    public void A_batch_prints_as_lists_or_as_pytorch_prints_a_padded_tensor_and_a_wrong_line_is_reported_at_its_line()
    {
        var vocabulary = File.ReadAllLines(Path.Combine(_hub.PathOf(MiniLm), "vocab.txt"));
        var (hello, world) = (Array.IndexOf(vocabulary, "hello"), Array.IndexOf(vocabulary, "world"));
        var width = $"{Math.Max(hello, world)}".Length;
        string Pad(int id) => $"{id}".PadLeft(width);
        var lists = $"[[101, {hello}, {world}, 102], [101, {hello}, 102]]";
        var tensors = $"tensor([[{Pad(101)}, {Pad(hello)}, {Pad(world)}, {Pad(102)}],\n        [{Pad(101)}, {Pad(hello)}, {Pad(102)}, {Pad(0)}]])\n" +
            "tensor([[1, 1, 1, 1],\n        [1, 1, 1, 0]])";
        var padded = $"""check="input_ids,attention_mask" tokenizer="{MiniLm}" texts="Hello world|Hello" padding="true" return_tensors="pt" """;
        Directory.CreateDirectory(Path.Combine(_content, "topics", "t"));
        File.WriteAllText(Path.Combine(_content, "topics", "t", "a.md"),
            "# A\n\n" +
            Block($"""check="input_ids" tokenizer="{MiniLm}" texts="Hello world|Hello" """, lists) + "\n" +
            Block(padded, tensors) + "\n" +
            Block(padded, tensors.Replace("[1, 1, 1, 0]", "[1, 1, 1, 1]")));

        var report = new LessonOutputs(_hub).Verify(_content);

        Assert.Equal(3, report.Checked);
        Assert.Equal([new OutputDifference("topics/t/a.md", 18, tensors.Replace("[1, 1, 1, 0]", "[1, 1, 1, 1]"), tensors)], report.Differences);
    }

    [Fact]
    public void Truncation_cuts_every_row_of_a_batch_to_max_length_keeping_the_special_tokens()
    {
        var outputs = new LessonOutputs(_hub);
        Assert.Null(DirectiveSyntax.TryParse("output", """check="input_ids" tokenizer="gpt2" texts="Hello world|Hello" truncation="true" max_length="1" """, out var directive));

        Assert.Equal("[[15496], [15496]]", outputs.Compute(directive!));
    }

    [Fact]
    public void A_tensor_row_wider_than_80_columns_wraps_as_pytorch_wraps_it()
    {
        // Ten values of width 5 take 10 × (5 + 2) = 70 of the 72 columns behind the row's indent of 8; the eleventh wraps.
        var row = Enumerable.Range(10000, 12).ToArray();

        Assert.Equal("tensor([[10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10009,\n" +
            "         10010, 10011],\n        [    1,     2]])", PythonRepr.Tensor([row, [1, 2]]));
    }

    [Fact]
    public void Added_tokens_are_counted_once_grow_the_vocabulary_and_stay_whole_when_tokenizing()
    {
        var outputs = new LessonOutputs(_hub);
        string Compute(string attributes)
        {
            Assert.Null(DirectiveSyntax.TryParse("output", attributes, out var directive));
            return outputs.Compute(directive!);
        }

        Assert.Equal("30522\n30522", Compute($"""check="vocab_len,len" tokenizer="{MiniLm}" """));
        Assert.Equal("2\n30524\n30524\n['a', '🐶', 'b', '😡']",
            Compute($"""check="add_tokens,len,vocab_len,tokens" tokenizer="{MiniLm}" added="🐶|😡|🐶" text="A 🐶b😡" """));
        Assert.Equal("(not checked: added token 'dog' is already in the vocabulary)",
            Compute($"""check="add_tokens" tokenizer="{MiniLm}" added="🐶|dog" """));
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "\"it's\"")]
    [InlineData("a'b\"c", "'a\\'b\"c'")]
    [InlineData("tab\there\\", "'tab\\there\\\\'")]
    [InlineData("Ġworld", "'Ġworld'")]
    public void Strings_print_with_pythons_quotes_and_escapes(string value, string repr) => Assert.Equal(repr, PythonRepr.Str(value));

    [Theory]
    [InlineData("""check="logits" tokenizer="gpt2" text="x" """, "output check 'logits' is unknown")]
    [InlineData("""check="tokens" tokenizer="bert-base-cased" text="x" """, "output tokenizer 'bert-base-cased' is not one the platform runs")]
    [InlineData("""check="tokens" tokenizer="gpt2" """, "output check 'tokens' needs text=")]
    [InlineData("""check="tokens" tokenizer="gpt2" text="x" pair="y" """, "output check 'tokens' takes no pair")]
    [InlineData("""check="input_ids,token_ids" tokenizer="gpt2" text="x" pair="y" """, "output check 'token_ids' takes no pair")]
    [InlineData("""check="tokens, logits" tokenizer="gpt2" text="x" """, "output check 'logits' is unknown")]
    [InlineData("""check="input_ids" tokenizer="gpt2" text="x" texts="a|b" """, "output takes text=")]
    [InlineData("""check="tokens" tokenizer="gpt2" texts="a|b" """, "output check 'tokens' takes one text=")]
    [InlineData("""check="input_ids" tokenizer="gpt2" text="x" padding="true" """, "output attribute 'padding' needs a batch")]
    [InlineData("""check="input_ids" tokenizer="gpt2" texts="a|b" padding="yes" """, "output padding 'yes' is unknown")]
    [InlineData("""check="input_ids" tokenizer="gpt2" texts="a|b" truncation="left" """, "output truncation 'left' is unknown")]
    [InlineData("""check="input_ids" tokenizer="gpt2" texts="a|b" max_length="0" """, "output max_length '0' is not a positive whole number")]
    [InlineData("""check="input_ids" tokenizer="gpt2" texts="a|b" return_tensors="np" """, "output return_tensors 'np' is not checked")]
    [InlineData("""check="input_ids" tokenizer="gpt2" texts="a|b" pair="c" """, "output texts=")]
    [InlineData("""check="add_tokens" tokenizer="gpt2" """, "output check 'add_tokens' needs added=")]
    [InlineData("""check="input_ids" tokenizer="gpt2" text="x" added="y" """, "output check 'input_ids' does not take added tokens")]
    [InlineData("""check="len" tokenizer="gpt2" texts="a|b" """, "output check 'len' takes one text=")]
    [InlineData("""check="cosine_similarity" tokenizer="gpt2" texts="a|b" """, "output embedding checks run a model: tokenizer=")]
    [InlineData("""check="cosine_similarity" tokenizer="sentence-transformers/all-MiniLM-L6-v2" texts="a" """, "output check 'cosine_similarity' compares the first of texts")]
    [InlineData("""check="embedding_shape" tokenizer="sentence-transformers/all-MiniLM-L6-v2" """, "output embedding checks need texts=")]
    [InlineData("""check="embedding_shape,tokens" tokenizer="sentence-transformers/all-MiniLM-L6-v2" texts="a" """, "output check 'tokens' cannot share a block")]
    [InlineData("""check="embedding_shape" tokenizer="sentence-transformers/all-MiniLM-L6-v2" texts="a" padding="true" """, "output attribute 'padding' does not apply")]
    public void The_validator_reports_an_output_it_cannot_check_at_its_line(string attributes, string message)
    {
        var rendered = LessonMarkdown.Render($"# T\n\n{Block(attributes, "x")}", "topics/t/a.md", _ => null, new WidgetReferences(_hub).Check);

        var error = Assert.Single(rendered.Errors);
        Assert.Equal((3, true), (error.Line, error.Message.StartsWith(message, StringComparison.Ordinal)));
    }

    [Fact]
    public void An_output_without_exactly_one_code_block_is_refused_and_a_checked_one_renders_with_its_source()
    {
        var refused = LessonMarkdown.Render("# T\n\n::: output check=\"vocab_size\" tokenizer=\"gpt2\"\nJust prose.\n:::\n", "topics/t/a.md", _ => null);
        var shown = LessonMarkdown.Render($"# T\n\n{Block("""check="vocab_size" tokenizer="gpt2" """, "50257")}", "topics/t/a.md", _ => null);

        Assert.Equal("topics/t/a.md:3: '::: output' holds the expected output as one fenced code block (``` … ```) and nothing else",
            Assert.Single(refused.Errors).ToString());
        Assert.Empty(shown.Errors);
        Assert.Matches(new Regex("<figure class=\"output-checked\">.*50257.*<figcaption>Output of the <code>gpt2</code> tokenizer \\(vocab_size\\)", RegexOptions.Singleline), shown.Html);
        var several = LessonMarkdown.Render($"# T\n\n{Block("""check="tokens,input_ids" tokenizer="gpt2" text="Hi" """, "['Hi']\n[17250]")}", "topics/t/a.md", _ => null);
        Assert.Contains("tokenizer (tokens, input_ids), recomputed", several.Html);
    }

    [Fact]
    public void Floats_print_as_python_reprs_them()
    {
        Assert.Equal(["0.5749", "1.0", "-0.1131", "0.0", "0.1"], new[] { 0.5749, 1.0, -0.1131, 0.0, 0.1 }.Select(PythonRepr.Float));
    }
}
