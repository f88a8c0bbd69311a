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
