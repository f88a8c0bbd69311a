using System.Text.Json;

namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public class TokenizeCommandTests(CliRunner cli)
{
    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public async Task Minilm_gives_the_hf_ids_and_installs_the_model_on_first_use()
    {
        var (code, stdout, stderr) = await cli.RunAsync("tokenize", "--model", "sentence-transformers/all-MiniLM-L6-v2", "Hello, my dog is cute");

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal([101, 7592, 1010, 2026, 3899, 2003, 10140, 102], Ints(json.GetProperty("input_ids")));
        Assert.Equal(["tokens", "input_ids", "attention_mask", "token_type_ids", "offset_mapping", "special_tokens_mask", "word_ids"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("word_ids")[0].ValueKind);
        Assert.True(File.Exists(Path.Combine(cli.HubPath, "sentence-transformers/all-MiniLM-L6-v2/model.safetensors")));
        Assert.DoesNotContain("{", stderr);
    }

    [Theory]
    [InlineData("gpt2", new[] { 31373, 995 })]
    [InlineData("cl100k_base", new[] { 15339, 1917 })]
    public async Task Bpe_encodings_give_their_ids_without_token_type_ids(string model, int[] ids)
    {
        var (code, stdout, _) = await cli.RunAsync("tokenize", "--model", model, "hello world");

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(ids, Ints(json.GetProperty("input_ids")));
        Assert.False(json.TryGetProperty("token_type_ids", out _));
    }

    [Fact]
    public async Task Pairs_and_truncation_options_are_passed_through()
    {
        var (code, stdout, _) = await cli.RunAsync("tokenize", "--model", "sentence-transformers/all-MiniLM-L6-v2",
            "--pair", "the answer is somewhere in this long context", "--max-length", "8", "--truncation", "only_second", "Where?");

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], Ints(json.GetProperty("token_type_ids")));
    }

    [Theory]
    [InlineData(new[] { "tokenize", "--model", "nobody/nothing", "hi" }, "Unknown model 'nobody/nothing'")]
    [InlineData(new[] { "tokenize", "--model", "not-an-id", "hi" }, "is not a model id")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "   " }, "TEXT is empty")]
    [InlineData(new[] { "tokenize", "hi" }, "needs --model")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--truncation", "sideways", "hi" }, "must be one of do_not_truncate, longest_first, only_first, only_second")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--max-length", "0", "hi" }, "--max-length must be a whole number from 1")]
    [InlineData(new[] { "tokenize", "--model", "gpt2", "--colour", "red", "hi" }, "unknown option '--colour'")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    public async Task Bad_input_gets_a_clear_error_and_a_usage_exit_code(string[] args, string message)
    {
        var (code, stdout, stderr) = await cli.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Oversized_text_is_refused_with_the_limit()
    {
        var (code, _, stderr) = await cli.RunAsync("tokenize", "--model", "gpt2", new string('a', 100_001));

        Assert.Equal(2, code);
        Assert.Contains("the limit is 100,000", stderr);
    }
}

[Collection(CliCollection.Name)]
public class ModelsCommandTests(CliRunner cli)
{
    [Fact]
    public async Task Models_list_shows_the_packaged_models_with_their_cards()
    {
        var (code, stdout, _) = await cli.RunAsync("models", "list");

        Assert.Equal(0, code);
        var models = CliRunner.LastLine(stdout).EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Contains("sentence-transformers/all-MiniLM-L6-v2", models.Keys);
        Assert.Contains("Snowflake/snowflake-arctic-embed-xs", models.Keys);
        Assert.Contains("course/sentencepiece-unigram", models.Keys);
        var miniLm = models["sentence-transformers/all-MiniLM-L6-v2"];
        Assert.Equal("feature-extraction", miniLm.GetProperty("pipeline_tag").GetString());
        Assert.Equal("bert", miniLm.GetProperty("model_type").GetString());
        Assert.Contains("Intended use", miniLm.GetProperty("card_sections").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Models_list_filters_and_show_returns_the_config()
    {
        var (_, filtered, _) = await cli.RunAsync("models", "list", "--library", "sentencepiece");
        Assert.Equal(["course/sentencepiece-unigram"], CliRunner.LastLine(filtered).EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        var (code, stdout, _) = await cli.RunAsync("models", "show", "Snowflake/snowflake-arctic-embed-xs");
        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(6, json.GetProperty("config").GetProperty("num_hidden_layers").GetInt32());
        Assert.Contains("model.safetensors", json.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Datasets_list_reads_the_dataset_cards()
    {
        var (code, stdout, _) = await cli.RunAsync("datasets", "list", "--task", "question-answering");

        Assert.Equal(0, code);
        var datasets = CliRunner.LastLine(stdout).EnumerateArray().ToList();
        Assert.Equal(["course-qa", "squad"], datasets.Select(d => d.GetProperty("id").GetString()));
        Assert.True(datasets[0].GetProperty("splits").GetProperty("train").GetInt32() > 200);
        Assert.Equal("cc-by-sa-4.0", datasets[1].GetProperty("license").GetString());
        Assert.Equal(1151, datasets[1].GetProperty("splits").GetProperty("validation").GetInt32());
    }
}

[Collection(CliCollection.Name)]
public class PredictCommandTests(CliRunner cli)
{
    [Fact]
    public async Task Feature_extraction_prints_the_last_hidden_state_tokens_by_hidden()
    {
        var (code, stdout, _) = await cli.RunAsync("predict", "--task", "feature-extraction", "--model", "sentence-transformers/all-MiniLM-L6-v2", "hello");

        Assert.Equal(0, code);
        var batch = CliRunner.LastLine(stdout);
        var tokens = Assert.Single(batch.EnumerateArray());
        Assert.Equal(3, tokens.GetArrayLength()); // [CLS] hello [SEP]
        Assert.All(tokens.EnumerateArray(), t => Assert.Equal(384, t.GetArrayLength()));
    }

    [Theory]
    [InlineData(new[] { "predict", "--task", "text-classification", "--model", "sentence-transformers/all-MiniLM-L6-v2", "hi" }, "has no trained text-classification head")]
    [InlineData(new[] { "predict", "--task", "summarization", "--model", "gpt2", "hi" }, "unknown task 'summarization'")]
    [InlineData(new[] { "predict", "--task", "question-answering", "--model", "sentence-transformers/all-MiniLM-L6-v2", "Who?" }, "needs --context")]
    [InlineData(new[] { "predict", "--task", "fill-mask", "--model", "nobody/nothing", "a [MASK]" }, "Unknown model 'nobody/nothing'")]
    public async Task Predict_explains_what_is_wrong(string[] args, string message)
    {
        var (code, stdout, stderr) = await cli.RunAsync(args);

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
        Assert.Equal("", stdout);
    }
}
