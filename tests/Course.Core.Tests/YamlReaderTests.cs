using Course.Core.Content;
using YamlDotNet.RepresentationModel;
using Course.Yaml;

namespace Course.Core.Tests;

/// <summary>The shared YAML reader's limits: every refusal a <c>file:line: message</c>, never an exception.</summary>
public class YamlReaderTests
{
    private static (ModuleFile? Value, List<ContentError> Errors) Read(string yaml, int firstLine = 1)
    {
        var errors = new List<ContentError>();
        return (YamlReader.Read<ModuleFile>(yaml, "module.yaml", firstLine, errors), errors);
    }

    [Fact]
    public void A_billion_laughs_document_is_refused_at_its_first_anchor()
    {
        var bomb = """
            id: m
            a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
            """;

        var (value, errors) = Read(bomb);

        Assert.Null(value);
        Assert.Equal([new ContentError("module.yaml", 2, "anchors (&a) are not allowed: write the value out")], errors);
    }

    public sealed class Flags
    {
        public bool DropEmpty { get; set; }
    }

    [Fact]
    public void A_boolean_key_given_another_word_says_to_write_true_or_false()
    {
        var errors = new List<ContentError>();

        Assert.Null(YamlReader.Read<Flags>("# flags\ndrop_empty: maybe\n", "config.yaml", 1, errors));
        Assert.Equal([new ContentError("config.yaml", 2, "'maybe' is not a value this key takes (write true or false)")], errors);
        Assert.True(YamlReader.Read<Flags>("drop_empty: true\n", "config.yaml", 1, errors)!.DropEmpty);
    }

    [Fact]
    public void An_alias_is_refused_even_without_a_local_anchor()
    {
        var text = YamlText.Parse("title: x\ngoal: *elsewhere\n", "module.yaml");

        Assert.Null(text.Root);
        Assert.Equal([new ContentError("module.yaml", 2, "aliases (*elsewhere) are not allowed: write the value out")], text.Errors);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_at_the_line_that_opens_it()
    {
        // 33 nested block sequences, one per line: the 33rd opens on line 33.
        var deep = string.Concat(Enumerable.Range(0, 33).Select(i => new string(' ', 2 * i) + "-\n")) + new string(' ', 66) + "x\n";

        var (value, errors) = Read("topics:\n" + deep.Replace("\n", "\n  ").TrimEnd(' '));

        Assert.Null(value);
        Assert.Equal([new ContentError("module.yaml", 33, "nesting deeper than 32 levels")], errors);
    }

    [Fact]
    public void Thirty_two_levels_are_still_read()
    {
        var text = YamlText.Parse(new string('[', 32) + new string(']', 32), "config.yaml");

        Assert.Empty(text.Errors);
        Assert.IsType<YamlSequenceNode>(text.Root);
    }

    [Fact]
    public void Flow_nesting_past_the_limit_is_refused()
    {
        var text = YamlText.Parse("a: " + new string('[', 10_000) + new string(']', 10_000), "config.yaml");

        Assert.Null(text.Root);
        Assert.Equal([new ContentError("config.yaml", 1, "nesting deeper than 32 levels")], text.Errors);
    }

    [Fact]
    public void An_oversized_document_is_refused_before_it_is_parsed()
    {
        var yaml = "goal: " + new string('x', YamlReader.MaxCharacters);

        var (value, errors) = Read(yaml, firstLine: 2);

        Assert.Null(value);
        Assert.Equal([new ContentError("module.yaml", 2, "the YAML is 131,078 characters; at most 131,072 are read")], errors);
    }

    [Fact]
    public void A_duplicate_key_is_refused_at_its_line_in_the_file()
    {
        // Front matter starting on line 2 of its file: the repeated 'title' is on line 4 there.
        var (value, errors) = Read("id: m\ntitle: One\ntitle: Two\n", firstLine: 2);

        Assert.Null(value);
        Assert.Equal([new ContentError("module.yaml", 4, "duplicate key 'title'")], errors);
    }

    [Fact]
    public void The_same_key_in_two_mappings_is_not_a_duplicate()
    {
        var (value, errors) = Read("id: m\ntopics:\n  - id: a\n    title: A\n  - id: b\n    title: B\n");

        Assert.Empty(errors);
        Assert.Equal(["a", "b"], value!.Topics!.Select(t => t.Id));
    }

    [Fact]
    public void A_duplicate_key_inside_a_nested_mapping_is_found()
    {
        var text = YamlText.Parse("training_args:\n  seed: 1\n  lr: 2\n  seed: 3\n", "config.yaml");

        Assert.Null(text.Root);
        Assert.Equal([new ContentError("config.yaml", 4, "duplicate key 'seed'")], text.Errors);
    }

    [Fact]
    public void A_mapping_as_a_key_is_refused()
    {
        var text = YamlText.Parse("? {a: 1}\n: value\n", "config.yaml");

        Assert.Null(text.Root);
        Assert.Equal([new ContentError("config.yaml", 1, "keys must be plain text")], text.Errors);
    }

    [Fact]
    public void An_empty_document_is_an_error_not_a_null_reference()
    {
        var (value, errors) = Read("# only a comment\n");

        Assert.Null(value);
        Assert.Equal([new ContentError("module.yaml", 1, "the YAML is empty")], errors);
    }
}
