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
}
