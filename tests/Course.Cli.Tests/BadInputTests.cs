using System.Text.Json;
using Course.Core.Content;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

/// <summary>
/// Hostile, malformed, empty and oversized input to every CLI verb: each is answered with a clear message on
/// stderr and its exit code (2: a usage error, 1: the input does not pass its checks), never a crash dump
/// (exit 134) or an unexpected-failure line, and nothing is written.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private readonly CliRunner _cli;
    private readonly string _folder = Directory.CreateTempSubdirectory("course-bad-input-").FullName;

    public BadInputTests(CliRunner cli)
    {
        _cli = cli;
        // `submissions show` opens a database: this test's own, never the checkout's data/.
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", $"Data Source={Path.Combine(_folder, "course.db")}");
        File.WriteAllText(Path.Combine(_folder, "train.jsonl"), "{\"text\": \"good\", \"label\": \"positive\"}\n{\"text\": \"bad\", \"label\": \"negative\"}\n");
        File.WriteAllText(Path.Combine(_folder, "validation.jsonl"), "{\"text\": \"fine\", \"label\": \"positive\"}\n");
    }

    private async Task<string> RefusedAsync(int code, params string[] args)
    {
        var (actual, stdout, stderr) = await _cli.RunAsync(args);
        Assert.True(actual == code, $"exit {actual}, expected {code}; stderr: {stderr}");
        Assert.DoesNotContain("failed unexpectedly", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.Equal("", stdout.Trim());
        return stderr;
    }

    private string Config(string trainingArgs, string top = "task: text-classification\nmodel_name_or_path: sentence-transformers/all-MiniLM-L6-v2\n")
    {
        var path = Path.Combine(_folder, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, top + "train_file: train.jsonl\nvalidation_file: validation.jsonl\n" + trainingArgs);
        return path;
    }

    [Theory]
    [InlineData("--max-length", "0x10")]
    [InlineData("--max-length", "1_000")]
    [InlineData("--max-length", "-3")]
    [InlineData("--max-length", "1e3")]
    [InlineData("--max-length", "99999999999999999999")]
    [InlineData("--stride", "0o20")]
    public async Task Tokenize_refuses_numbers_out_of_range_or_in_another_notation(string option, string value)
    {
        var stderr = await RefusedAsync(2, "tokenize", "--model", "gpt2", option, value, "hello");
        Assert.Contains($"{option} must be a whole number", stderr);
        Assert.Contains($"not '{value}'", stderr);
    }

    [Theory]
    [InlineData(new[] { "tokenize", "--model", "nope/nope", "hi" }, "Unknown model 'nope/nope'")]
    [InlineData(new[] { "tokenize", "--model", "gpt2" }, "tokenize needs exactly one TEXT argument")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "a", "b" }, "tokenize needs exactly one TEXT argument")]
    [InlineData(new[] { "tokenize", "hi" }, "tokenize needs --model ID")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--truncation", "sideways", "hi" }, "--truncation")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--padding", "lots", "hi" }, "--padding")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--frobnicate", "hi" }, "--frobnicate")]
    [InlineData(new[] { "predict", "--task", "summarization", "--model", "gpt2", "hi" }, "unknown task 'summarization'")]
    [InlineData(new[] { "predict", "--task", "question-answering", "--model", "course/minilm-qa", "Who?" }, "question-answering needs --context TEXT")]
    [InlineData(new[] { "predict", "--task", "text-classification", "--model", "course/minilm-sentiment", "--context", "x", "hi" }, "--context is only for question-answering")]
    [InlineData(new[] { "predict", "--task", "fill-mask", "--model", "course/minilm-fill-mask", "--top-k", "0x5", "a [MASK]" }, "--top-k must be a whole number")]
    [InlineData(new[] { "predict", "--task", "fill-mask", "--model", "course/minilm-fill-mask", "--top-k", "0", "a [MASK]" }, "--top-k must be a whole number")]
    [InlineData(new[] { "predict", "--task", "text-classification", "hi" }, "predict needs --model ID")]
    [InlineData(new[] { "submissions", "show", "abc" }, "a number")]
    [InlineData(new[] { "submissions", "show", "1e3" }, "a number")]
    [InlineData(new[] { "grade", "--assignment", "nope", "--config", "x.yaml" }, "unknown assignment 'nope'")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "content", "export-gift", "--quiz", "../../../etc/passwd" }, "")]
    public async Task Usage_errors_say_what_is_wrong(string[] args, string message)
    {
        var stderr = await RefusedAsync(2, args);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Oversized_text_and_context_are_refused_before_any_model_loads()
    {
        var huge = new string('a', 1_000_001);
        Assert.Contains("TEXT is 1,000,001 characters; at most 1,000,000", await RefusedAsync(2, "tokenize", "--model", "gpt2", huge));
        Assert.Contains("--context is 1,000,001 characters", await RefusedAsync(2, "predict", "--task", "question-answering", "--model", "nope/nope", "--context", huge, "q"));
    }

    [Fact]
    public async Task Empty_text_is_refused_with_a_message()
    {
        Assert.Contains("TEXT is empty", await RefusedAsync(2, "tokenize", "--model", "gpt2", ""));
    }

    [Theory]
    [InlineData("\ud800 lone surrogate")]
    [InlineData("\u202eRTL override\u200d joiner\u0301 combining")]
    [InlineData("\0\u0001 controls")]
    public async Task Empty_text_and_unicode_edge_cases_tokenize_without_error(string text)
    {
        var (code, stdout, stderr) = await _cli.RunAsync("tokenize", "--model", "gpt2", text);

        Assert.True(code == 0, stderr);
        var ids = CliRunner.LastLine(stdout).GetProperty("input_ids");
        Assert.Equal(JsonValueKind.Array, ids.ValueKind);
        Assert.NotEqual(0, ids.GetArrayLength());
    }

    [Theory]
    [InlineData("training_args:\n  learning_rate: 0x10\n", 6, "'0x10' is not a plain decimal number")]
    [InlineData("training_args:\n  num_train_epochs: 1_000\n", 6, "'1_000' is not a plain decimal number")]
    [InlineData("training_args:\n  per_device_train_batch_size: 17:04\n", 6, "'17:04' is not a plain decimal number")]
    [InlineData("training_args:\n  seed: 042\n", 6, "'042' is not a plain decimal number")]
    [InlineData("training_args:\n  per_device_train_batch_size: 0o20\n", 6, "'0o20' is not a plain decimal number")]
    [InlineData("training_args:\n  learning_rate: .inf\n", 6, "'.inf' is not a plain decimal number")]
    [InlineData("training_args:\n  learning_rate: -.NaN\n", 6, "'-.NaN' is not a plain decimal number")]
    [InlineData("training_args:\n  num_train_epochs: 1e309\n", 6, "num_train_epochs must be in (0, 100], not Infinity")]
    [InlineData("training_args:\n  per_device_train_batch_size: 0\n", 6, "per_device_train_batch_size must be 1–1024, not 0")]
    [InlineData("training_args:\n  per_device_train_batch_size: 1e3\n", 6, "'1e3' is not a value this key takes (a whole number is written without a decimal point or exponent)")]
    [InlineData("training_args:\n  learning_rate: 1.0e-5\n  learning_rate: 1.0e-3\n", 7, "duplicate key 'learning_rate'")]
    [InlineData("training_args:\n", 5, "training_args is empty")]
    [InlineData("training_args:\n  learning_rat: 1.0e-5\n", 6, "unknown key 'learning_rat'")]
    [InlineData("training_args: [1, 2]\n", 5, "this value has the wrong shape")]
    [InlineData("training_args:\n  learning_rate: &a 1.0e-5\n  weight_decay: *a\n", 6, "anchors (&a) are not allowed")]
    public async Task Train_refuses_a_hostile_configuration_at_its_line(string trainingArgs, int line, string message)
    {
        var config = Config(trainingArgs);

        var stderr = await RefusedAsync(1, "train", "--config", config);

        Assert.Contains($"{config}:{line}: {message}", stderr);
    }

    [Theory]
    [InlineData("task: summarization\nmodel_name_or_path: x\n", 1, "task must be one of")]
    [InlineData("- just\n- a list\n", 1, "this value has the wrong shape")]
    [InlineData("task: [text-classification\n", 2, "invalid YAML: While parsing a flow sequence, did not find expected ',' or ']'.")]
    [InlineData("task: text-classification\n\"unterminated: \n", 2, "")]
    [InlineData("task: text-classification\n\tmodel_name_or_path: x\n", 1, "invalid YAML: While scanning a plain scalar, found a tab character")]
    public async Task Train_refuses_a_malformed_document(string text, int line, string message)
    {
        var config = Path.Combine(_folder, "malformed.yaml");
        File.WriteAllText(config, text);

        var stderr = await RefusedAsync(1, "train", "--config", config);

        Assert.True(stderr.Contains($"{config}:{line}: {message}"), stderr);
    }

    [Fact]
    public async Task Train_refuses_yaml_bombs_deep_nesting_oversized_binary_and_empty_files()
    {
        var bomb = Path.Combine(_folder, "bomb.yaml");
        File.WriteAllText(bomb, "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
        var deep = Path.Combine(_folder, "deep.yaml");
        File.WriteAllText(deep, "task: " + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)) + "\n");
        var oversized = Path.Combine(_folder, "oversized.yaml");
        File.WriteAllText(oversized, "# " + new string('x', 200_000) + "\ntask: text-classification\n");
        var huge = Path.Combine(_folder, "huge.yaml");
        File.WriteAllBytes(huge, new byte[2 * 1024 * 1024]);
        var binary = Path.Combine(_folder, "binary.yaml");
        File.WriteAllBytes(binary, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 256)).ToArray());
        var empty = Path.Combine(_folder, "empty.yaml");
        File.WriteAllText(empty, "");

        Assert.Contains($"{bomb}:1: ", await RefusedAsync(1, "train", "--config", bomb));
        Assert.Contains($"{deep}:1: ", await RefusedAsync(1, "train", "--config", deep));
        Assert.Contains($"{oversized}:1: the YAML is 200,029 characters; at most 131,072 are read", await RefusedAsync(1, "train", "--config", oversized));
        Assert.Contains($"{huge}:1: the file is 2,097,152 bytes", await RefusedAsync(1, "train", "--config", huge));
        Assert.Contains($"{binary}:", await RefusedAsync(1, "train", "--config", binary));
        Assert.Contains($"{empty}:1: the YAML is empty", await RefusedAsync(1, "train", "--config", empty));
        Assert.Contains($"{_folder}:1: a folder, not a configuration file", await RefusedAsync(1, "train", "--config", _folder));
        Assert.Contains("missing.yaml:1: file not found", await RefusedAsync(1, "train", "--config", Path.Combine(_folder, "missing.yaml")));
    }

    [Theory]
    [InlineData("model_name_or_path: bert-base-uncased\n", "model_name_or_path must be one of sentence-transformers/all-MiniLM-L6-v2, Snowflake/snowflake-arctic-embed-xs, not bert-base-uncased")]
    [InlineData("train_file: ../../../../etc/passwd\n", "train_file must be the assignment's public train split")]
    [InlineData("training_args:\n  per_device_train_batch_size: 0x400\n", "'0x400' is not a plain decimal number")]
    [InlineData("training_args:\n  num_train_epochs: 50\n", "num_train_epochs may be at most 5 in this assignment, not 50")]
    [InlineData("training_args:\n  weight_decay: 0.1\n  weight_decay: 0.2\n", "duplicate")]
    [InlineData("training_args:\n  metric_for_best_model: nope\n", "submission.yaml:4: metric_for_best_model 'nope' is not an evaluation metric of text-classification")]
    [InlineData("training_args:\n  eval_strategy: steps\n", "submission.yaml:4: eval_steps 500 is beyond the last step, so it would never evaluate: this run has {steps} steps ({examples} train examples, batch 8, accumulation 1, 3 epochs)")]
    public async Task Grade_refuses_what_the_assignment_does_not_allow_before_training(string change, string message)
    {
        var config = Path.Combine(_folder, "submission.yaml");
        var model = change.StartsWith("model_name_or_path", StringComparison.Ordinal) ? "" : "model_name_or_path: sentence-transformers/all-MiniLM-L6-v2\n";
        File.WriteAllText(config, "task: text-classification\n" + model + change);

        var stderr = await RefusedAsync(1, "grade", "--assignment", "sentiment", "--config", config);

        // The step count follows the public train split as it stands (every row counts before preparation), not a copy of it here.
        var sentiment = ContentLoader.Load(Path.Combine(Repository.Root, "content")).FindAssignment("sentiment")!;
        var examples = Math.Min(File.ReadLines(Path.Combine(Repository.Root, "content", "datasets", sentiment.Rules.Dataset!, "train.jsonl")).Count(l => l.Trim().Length > 0),
            sentiment.Rules.Limits.MaxTrainExamples);
        message = message.Replace("{examples}", examples.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{steps}", (3 * ((examples + 7) / 8)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(stderr.Contains(message), stderr);
    }

    [Theory]
    [InlineData("99999")]
    [InlineData("-1")]
    public async Task Showing_a_submission_that_does_not_exist_says_so(string id)
    {
        Assert.Contains($"no submission {id}", await RefusedAsync(2, "submissions", "show", id));
    }

    [Fact]
    public async Task Evaluate_refuses_missing_malformed_and_mismatched_files_at_their_lines()
    {
        string Write(string name, string text)
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllText(path, text);
            return path;
        }
        var labels = Write("labels.txt", "positive\nnegative\n");
        var fewer = Write("fewer.txt", "positive\n");
        var gold = Write("gold.conll", "Ann\tB-PER\nsaid\tO\n\nhi\tO\n");
        var untagged = Write("untagged.conll", "Ann\tB-PER\nsaid\tO\n\nhi\n");
        var squad = Write("squad.json", "{\"data\": []}");
        var broken = Write("broken.json", "{\n  \"1\": \"x\",\n  oops\n}");

        Assert.Contains("missing.txt does not exist", await RefusedAsync(2, "evaluate", "--task", "text-classification", "--references", Path.Combine(_folder, "missing.txt"), "--predictions", labels));
        Assert.Contains($"{labels} has 2 labels but {fewer} has 1", await RefusedAsync(2, "evaluate", "--task", "text-classification", "--references", labels, "--predictions", fewer));
        Assert.Contains($"{untagged}:4: expected 'token<TAB>tag', found 'hi'", await RefusedAsync(2, "evaluate", "--task", "token-classification", "--references", gold, "--predictions", untagged));
        Assert.Contains($"{broken}:3: not valid JSON", await RefusedAsync(2, "evaluate", "--task", "question-answering", "--references", squad, "--predictions", broken));
        Assert.Contains("unknown task 'summarization'", await RefusedAsync(2, "evaluate", "--task", "summarization", "--references", labels, "--predictions", labels));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", null);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
