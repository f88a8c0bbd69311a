using Course.Core.Assignments;
using Course.Web.Features.Assignments;

namespace Course.Web.Tests;

public class ConfigurationFieldsTests
{
    private const string Yaml = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2   # the base model
        training_args:
          learning_rate: 3.0e-5    # try 5e-5
          num_train_epochs: 1
        """;

    [Fact]
    public void Fields_are_read_and_written_in_place_keeping_comments()
    {
        Assert.Equal("3.0e-5", ConfigurationFields.Get(Yaml, "learning_rate"));
        Assert.Null(ConfigurationFields.Get(Yaml, "seed"));

        var changed = ConfigurationFields.Set(Yaml, "learning_rate", "5.0e-5");

        Assert.Contains("  learning_rate: 5.0e-5    # try 5e-5", changed);
        Assert.Equal(Yaml.Split('\n').Length, changed.Split('\n').Length);
    }

    [Fact]
    public void Missing_training_arguments_go_under_training_args_and_top_level_keys_to_the_top()
    {
        var withSeed = ConfigurationFields.Set(Yaml, "seed", "7");
        Assert.Contains("training_args:\n  seed: 7\n  learning_rate", withSeed);

        var withLength = ConfigurationFields.Set(Yaml, "max_seq_length", "64");
        Assert.StartsWith("max_seq_length: 64\n", withLength);

        Assert.EndsWith("training_args:\n  seed: 1\n", ConfigurationFields.Set("task: text-classification\n", "seed", "1"));
    }

    [Fact]
    public void Dotted_keys_write_into_their_block_and_data_keys_go_to_the_top()
    {
        var prepared = ConfigurationFields.Set(Yaml, "preprocessing.deduplicate", "normalized");
        Assert.EndsWith("  num_train_epochs: 1\npreprocessing:\n  deduplicate: normalized\n", prepared);
        Assert.Equal("normalized", ConfigurationFields.Get(prepared, "preprocessing.deduplicate"));

        var both = ConfigurationFields.Set(prepared, "preprocessing.truncation", "head+tail");
        Assert.Contains("preprocessing:\n  truncation: head+tail\n  deduplicate: normalized", both);

        Assert.StartsWith("doc_stride: 64\n", ConfigurationFields.Set(Yaml, "doc_stride", "64"));
        Assert.EndsWith("decision:\n  class_bias: tuned\n", ConfigurationFields.Set(Yaml, "decision.class_bias", "tuned"));
    }

    [Fact]
    public void The_preparation_fields_are_the_assignments_allowed_keys_with_their_choices()
    {
        var rules = new AssignmentFrontMatter
        {
            AllowedDataArgs = ["doc_stride", "label_all_tokens"],
            AllowedPreprocessing = ["clean_text", "deduplicate", "max_characters", "train_splits"],
            AllowedDecision = ["class_bias", "tune_for"],
        };

        var fields = ConfigurationFields.PreparationFields(rules);

        Assert.Equal(
            ["doc_stride", "label_all_tokens", "preprocessing.deduplicate", "preprocessing.train_splits", "decision.class_bias", "decision.tune_for"],
            fields.Select(f => f.Key));
        Assert.Equal(["true", "false"], fields[1].Choices);
        Assert.Equal(Course.Ml.Training.PreprocessingFile.DeduplicateModes, fields[2].Choices);
        Assert.Equal(["train", "train+validation"], fields[3].Choices);
        Assert.Equal(["tuned"], fields[4].Choices);
        Assert.Null(fields[0].Choices);
        Assert.Null(fields[5].Choices);
        Assert.Empty(ConfigurationFields.PreparationFields(new AssignmentFrontMatter()));
    }

    [Fact]
    public void Long_runs_of_spaces_after_a_key_are_read_and_replaced()
    {
        // A regular expression over these lines once backtracked over such a run once per character, on every render.
        var spaces = new string(' ', 60_000);
        var yaml = $"training_args:\n  learning_rate:{spaces}x{spaces}\n  seed: 7\n";

        Assert.Equal("x", ConfigurationFields.Get(yaml, "learning_rate"));
        Assert.Equal("7", ConfigurationFields.Get(yaml, "seed"));
        Assert.Equal("training_args:\n  learning_rate: 1e-4\n  seed: 7\n", ConfigurationFields.Set(yaml, "learning_rate", "1e-4"));
        Assert.Equal("training_args:\n  weight_decay: 0.1", ConfigurationFields.Set($"training_args:\n  weight_decay:{spaces}{spaces}", "weight_decay", "0.1"));
    }

    [Fact]
    public void Text_that_is_not_yaml_yet_is_left_as_it_is_and_its_problem_shown()
    {
        const string broken = "training_args:\n  seed: [7\n";

        Assert.Null(ConfigurationFields.Get(broken, "seed"));
        Assert.Equal(broken, ConfigurationFields.Set(broken, "seed", "8"));
        Assert.Equal(3, ConfigurationFields.Problem(broken)!.Line);
        Assert.Null(ConfigurationFields.Problem(Yaml));
    }

    [Theory]
    [InlineData("a: 1\ntraining_args:   # tuned\n  seed: 1\n", "seed", "2", "a: 1\ntraining_args:   # tuned\n  seed: 2\n")]
    [InlineData("training_args:   # tuned\n  seed: 1\n", "warmup_ratio", "0.1", "training_args:   # tuned\n  warmup_ratio: 0.1\n  seed: 1\n")]
    [InlineData("task: x\r\ntraining_args:\r\n  seed: 1   # one\r\n", "seed", "3", "task: x\r\ntraining_args:\r\n  seed: 3   # one\r\n")]
    [InlineData("  training_args:\n", "seed", "1", "  training_args:\n    seed: 1\n")]
    public void Values_are_replaced_in_place_and_new_arguments_go_under_training_args(string yaml, string key, string value, string expected) =>
        Assert.Equal(expected, ConfigurationFields.Set(yaml, key, value));
}
