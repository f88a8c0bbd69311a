using Course.Ml.Training;

namespace Course.Ml.Tests;

public sealed class TrainingConfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-config-").FullName;

    private string Write(string yaml)
    {
        var path = Path.Combine(_folder, "config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Valid = """
        task: text-classification
        model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
        train_file: data/train.jsonl
        validation_file: data/validation.jsonl
        max_seq_length: 64
        training_args:
          learning_rate: 3.0e-5
          num_train_epochs: 2
          lr_scheduler_type: cosine
        """;

    [Fact]
    public void A_valid_config_loads_with_paths_relative_to_its_folder()
    {
        var config = TrainingConfig.Load(Write(Valid));

        Assert.Equal(Path.Combine(_folder, "data", "train.jsonl"), config.TrainFile);
        Assert.Equal(64, config.MaxSeqLength);
        var args = config.TrainingArgs.ToArguments();
        Assert.Equal((3e-5, 2.0, "cosine", 8), (args.LearningRate, args.NumTrainEpochs, args.LrSchedulerType, args.PerDeviceTrainBatchSize));
    }

    [Fact]
    public void Unknown_keys_are_rejected_with_their_name_and_line()
    {
        var error = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(Write(Valid + "\n  learning_rat: 0.1\n"))).Errors.Single();

        Assert.Equal(10, error.Line);
        Assert.Contains("learning_rat", error.Message);
    }

    [Theory]
    [InlineData("learning_rate: 3.0e-5", "learning_rate: 2", "learning_rate must be in (0, 1], not 2", 7)]
    [InlineData("num_train_epochs: 2", "num_train_epochs: 0", "num_train_epochs must be in (0, 100]", 8)]
    [InlineData("max_seq_length: 64", "max_seq_length: 4096", "max_seq_length must be 8–512", 5)]
    [InlineData("lr_scheduler_type: cosine", "lr_scheduler_type: exponential", "lr_scheduler_type must be linear, cosine or constant_with_warmup", 9)]
    [InlineData("task: text-classification", "task: summarization", "task must be one of", 1)]
    [InlineData("max_seq_length: 64", "max_seq_length: 64\nmlm_probability: 0.3", "mlm_probability applies to task fill-mask only", 6)]
    public void Out_of_range_values_name_the_key_the_allowed_range_and_the_line(string from, string to, string message, int line)
    {
        var error = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(Write(Valid.Replace(from, to)))).Errors.Single();

        Assert.Contains(message, error.Message);
        Assert.Equal(line, error.Line);
    }

    [Theory]
    [InlineData("0.3", null)]
    [InlineData("1.5", "mlm_probability must be in (0, 1), not 1.5")]
    [InlineData("0", "mlm_probability must be in (0, 1), not 0")]
    public void Fill_mask_takes_run_mlms_mlm_probability(string value, string? message)
    {
        var yaml = Valid.Replace("task: text-classification", "task: fill-mask").Replace("max_seq_length: 64", $"max_seq_length: 64\nmlm_probability: {value}");
        if (message is null)
        {
            Assert.Equal(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture), TrainingConfig.Load(Write(yaml)).MlmProbability);
            return;
        }
        var error = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(Write(yaml))).Errors.Single();
        Assert.Contains(message, error.Message);
        Assert.Equal(6, error.Line);
    }

    [Theory]
    [InlineData("  class_weights: balancedd", "class_weights must be 'balanced' or a list of positive numbers", 10)]
    [InlineData("  class_weights: [1, -2, 3]", "class_weights must be 'balanced' or a list of positive numbers (one per class in label order), not [1, -2, 3]", 10)]
    [InlineData("  freeze_layers: [embeddings, top]", "freeze_layers must list 'embeddings' and/or a number of encoder layers 0–24, not [embeddings, top]", 10)]
    [InlineData("  load_best_model_at_end: true", "load_best_model_at_end needs eval_strategy steps or epoch", 10)]
    [InlineData("  save_strategy: always", "save_strategy must be no, steps or epoch, not 'always'", 10)]
    public void Our_training_arguments_are_validated_too(string line, string message, int at)
    {
        var error = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(Write(Valid + "\n" + line + "\n"))).Errors.Single();

        Assert.Contains(message, error.Message);
        Assert.Equal(at, error.Line);
    }

    [Fact]
    public void Class_weights_and_frozen_layers_reach_the_training_arguments()
    {
        var args = TrainingConfig.Load(Write(Valid + "\n  class_weights: [0.5, 2]\n  freeze_layers: [embeddings, 3]\n  bf16: true\n  group_by_length: true\n"))
            .TrainingArgs.ToArguments();

        Assert.Equal([0.5, 2.0], args.ClassWeights);
        Assert.False(args.BalancedClassWeights);
        Assert.Equal((true, 3, true, true), (args.FreezeEmbeddings, args.FreezeEncoderLayers, args.Bf16, args.GroupByLength));
        Assert.True(TrainingConfig.Load(Write(Valid + "\n  class_weights: balanced\n")).TrainingArgs.ToArguments().BalancedClassWeights);
    }

    [Fact]
    public void Missing_required_fields_are_all_reported()
    {
        var errors = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(Write("task: token-classification\n"))).Errors;

        Assert.Equal(["model_name_or_path is required (a hub id)", "train_file is required", "validation_file is required"], errors.Select(e => e.Message));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
