using Course.Yaml;
using YamlDotNet.RepresentationModel;

namespace Course.Core.Tests;

/// <summary>The YAML layer's positions and in-place edits: what the readers' file:line errors and the submission form stand on.</summary>
public class YamlTextTests
{
    private const string Config = """
        # the starter configuration
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2   # the base model
        training_args:
          learning_rate: 3.0e-5    # try 5e-5
          class_weights: [1, 2.5]
          freeze_layers:
            - embeddings
          num_train_epochs: 1
        """;

    [Fact]
    public void Values_and_key_lines_are_read_from_one_parse()
    {
        var text = YamlText.Parse(Config, "starter.yaml");

        Assert.Empty(text.Errors);
        Assert.Equal("3.0e-5", text.Value("training_args", "learning_rate"));
        Assert.Equal("[1, 2.5]", text.Value("training_args", "class_weights"));
        Assert.Null(text.Value("training_args", "seed"));
        Assert.Null(text.Value("task", "seed"));
        Assert.Equal(5, text.LineOf(text.Entry("training_args", "learning_rate")!.Value.Key));
        Assert.Equal(9, text.LineOfKey("num_train_epochs"));
        Assert.Null(text.LineOfKey("seed"));
    }

    [Fact]
    public void Lines_count_from_where_the_yaml_starts_in_its_file()
    {
        // Front matter: the YAML starts on line 2, after the opening '---'.
        var text = YamlText.Parse("id: quiz\nreview:\n  after_attempt: [score]\n", "quiz.md", firstLine: 2);

        Assert.Equal(4, text.LineOfKey("after_attempt"));
        Assert.Equal(4, text.LineOf(((YamlSequenceNode)text.Entry("review", "after_attempt")!.Value.Value).Children[0]));
    }

    [Fact]
    public void Invalid_yaml_is_an_error_at_its_line_and_is_never_edited()
    {
        var text = YamlText.Parse("task: x\ntraining_args:\n  seed: [1\n", "config.yaml", firstLine: 3);

        Assert.Null(text.Root);
        var error = Assert.Single(text.Errors);
        Assert.Equal(("config.yaml", 6), (error.File, error.Line));
        Assert.StartsWith("invalid YAML: ", error.Message);
        Assert.Null(text.With("2", "training_args", "seed"));
    }

    [Fact]
    public void A_value_is_replaced_in_place_keeping_comments_and_layout()
    {
        var text = YamlText.Parse(Config, "starter.yaml");

        Assert.Equal(Config.Replace("learning_rate: 3.0e-5    # try", "learning_rate: 5.0e-5    # try"), text.With("5.0e-5", "training_args", "learning_rate"));
        Assert.Equal(Config.Replace("class_weights: [1, 2.5]", "class_weights: balanced"), text.With("balanced", "training_args", "class_weights"));
        Assert.Equal(Config.Replace("freeze_layers:\n    - embeddings", "freeze_layers: [2]"), text.With("[2]", "training_args", "freeze_layers"));
        Assert.Equal(Config.Replace("sentence-transformers/all-MiniLM-L6-v2   #", "bert-base-uncased   #"),
            text.With("bert-base-uncased", "model_name_or_path"));
    }

    [Fact]
    public void An_empty_value_is_filled_in_after_its_key()
    {
        Assert.Equal("a: 1\nb: 2\nc: 3\n", YamlText.Parse("a: 1\nb:\nc: 3\n", "x.yaml").With("2", "b"));
        Assert.Equal("a: 1\nb: 2   # two\n", YamlText.Parse("a: 1\nb:   # two\n", "x.yaml").With("2", "b"));
        Assert.Equal("a: 1\r\nb: 2\r\n", YamlText.Parse("a: 1\r\nb:   \r\n", "x.yaml").With("2", "b"));
    }

    [Fact]
    public void A_missing_key_goes_first_in_its_mapping_at_its_indentation()
    {
        var text = YamlText.Parse(Config, "starter.yaml");

        Assert.Equal(Config.Replace("training_args:\n", "training_args:\n  seed: 7\n"), text.With("7", "training_args", "seed"));
        Assert.Equal(Config.Replace("task:", "max_seq_length: 64\ntask:"), text.With("64", "max_seq_length"));
        Assert.Equal("a:\n    c: 2\n    b: 1\n", YamlText.Parse("a:\n    b: 1\n", "x.yaml").With("2", "a", "c"));
        Assert.Equal("a: {c: 2}", YamlText.Parse("a: {}", "x.yaml").With("2", "a", "c"));
        Assert.Equal("a: {c: 2, b: 1}", YamlText.Parse("a: {b: 1}", "x.yaml").With("2", "a", "c"));
    }

    [Fact]
    public void A_key_under_an_empty_section_goes_two_spaces_in_from_the_section()
    {
        Assert.Equal("  training_args:\n    seed: 1\n", YamlText.Parse("  training_args:\n", "x.yaml").With("1", "training_args", "seed"));
        Assert.Equal("training_args:   # tuned\n  seed: 1\ntask: x\n", YamlText.Parse("training_args:   # tuned\ntask: x\n", "x.yaml").With("1", "training_args", "seed"));
    }

    [Fact]
    public void A_missing_section_goes_at_the_end_and_an_empty_text_gets_its_first_key()
    {
        Assert.Equal("task: x\ntraining_args:\n  seed: 1\n", YamlText.Parse("task: x\n\n", "x.yaml").With("1", "training_args", "seed"));
        Assert.Equal("training_args:\n  seed: 1\n", YamlText.Parse("", "x.yaml").With("1", "training_args", "seed"));
        Assert.Equal("seed: 1\n# notes\n", YamlText.Parse("# notes\n", "x.yaml").With("1", "seed"));
    }

    [Fact]
    public void A_value_that_is_not_a_mapping_takes_no_key()
    {
        Assert.Null(YamlText.Parse("training_args: 5\n", "x.yaml").With("1", "training_args", "seed"));
        Assert.Null(YamlText.Parse("- a\n- b\n", "x.yaml").With("1", "seed"));
    }

    [Fact]
    public void Long_runs_of_spaces_are_read_and_edited_exactly()
    {
        // Student text, read on every render of the form: the scanner reads runs of blanks once.
        var spaces = new string(' ', 60_000);
        var text = YamlText.Parse($"training_args:\n  learning_rate:{spaces}x{spaces}\n  seed: 7\n", "x.yaml");

        Assert.Equal("x", text.Value("training_args", "learning_rate"));
        Assert.Equal(3, text.LineOfKey("seed"));
        Assert.Equal("training_args:\n  learning_rate: 1e-4\n  seed: 7\n", text.With("1e-4", "training_args", "learning_rate"));
        Assert.Equal("  weight_decay: 0.1", YamlText.Parse($"  weight_decay:{spaces}{spaces}", "x.yaml").With("0.1", "weight_decay"));
    }

    [Theory]
    [InlineData("2e-5", "2e-5")]
    [InlineData("linear", "linear")]
    [InlineData("[2, 3]", "[2, 3]")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("1 # not a comment", "\"1 # not a comment\"")]
    [InlineData("[1, 2] # two", "\"[1, 2] # two\"")]
    [InlineData("[1, 2", "\"[1, 2\"")]
    [InlineData("two\nlines", "\"two\\nlines\"")]
    [InlineData(" padded", "\" padded\"")]
    [InlineData("", "\"\"")]
    public void A_value_is_written_so_it_reads_back_as_the_same_one_string(string value, string written)
    {
        Assert.Equal(written, YamlText.Scalar(value));
        var edited = YamlText.Parse("training_args:\n  seed: 1\n", "c.yaml").With(value, "training_args", "seed")!;
        Assert.Equal(value, YamlText.Parse(edited, "c.yaml").Value("training_args", "seed"));
    }
}
