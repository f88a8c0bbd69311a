namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class EvaluateCommandTests(CliRunner cli) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-evaluate-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Conll_files_are_scored_like_seqeval()
    {
        var references = Write("ref.conll", "EU\tB-ORG\nrejects\tO\nGerman\tB-MISC\ncall\tO\n\nPeter\tB-PER\nBlackburn\tI-PER\n");
        var predictions = Write("pred.conll", "EU\tB-ORG\nrejects\tO\nGerman\tO\ncall\tO\n\nPeter\tB-PER\nBlackburn\tI-PER\n");

        var (code, stdout, _) = await cli.RunAsync("evaluate", "--task", "token-classification", "--references", references, "--predictions", predictions);

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(1.0, json.GetProperty("overall_precision").GetDouble());
        Assert.Equal(2.0 / 3, json.GetProperty("overall_recall").GetDouble(), 10);
        Assert.Equal(0.8, json.GetProperty("overall_f1").GetDouble(), 10);
        Assert.Equal(5.0 / 6, json.GetProperty("overall_accuracy").GetDouble(), 10);
        Assert.Equal(0, json.GetProperty("MISC").GetProperty("f1").GetDouble());
        Assert.Equal(1, json.GetProperty("PER").GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task Squad_predictions_get_exact_match_and_f1_on_0_to_100()
    {
        var references = Write("dev.json", """
            {"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "Paris is the capital of France.",
              "qas": [{"id": "a", "question": "Capital?", "answers": [{"text": "Paris", "answer_start": 0}]},
                      {"id": "b", "question": "Of?", "answers": [{"text": "France", "answer_start": 24}, {"text": "of France", "answer_start": 21}]}]}]}]}
            """);
        var predictions = Write("pred.json", """{"a": "paris", "b": "capital of France"}""");

        var (code, stdout, _) = await cli.RunAsync("evaluate", "--task", "question-answering", "--references", references, "--predictions", predictions);

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(50.0, json.GetProperty("exact_match").GetDouble(), 10);
        Assert.Equal(100.0 * (1 + 0.8) / 2, json.GetProperty("f1").GetDouble(), 10);
    }

    [Fact]
    public async Task A_dataset_split_of_squad_rows_is_a_reference_file_whose_every_answer_counts()
    {
        var context = "Paris is the capital of France.";
        string Row(string id, string answers) =>
            $$"""{"id": "{{id}}", "title": "T", "context": "{{context}}", "question": "?", "answers": {{answers}}}""";
        var references = Write("validation.jsonl", string.Join("\n",
            Row("a", """{"text": ["the capital", "Paris", "Paris"], "answer_start": [9, 0, 0]}"""),
            "",
            Row("b", """{"text": ["France", "France"], "answer_start": [24, 24]}""")) + "\n");
        // Only a's second and third references match: scoring against the first alone would give 0 for a.
        var predictions = Write("pred.json", """{"a": "Paris", "b": "capital of France"}""");

        var (code, stdout, stderr) = await cli.RunAsync("evaluate", "--task", "question-answering", "--references", references, "--predictions", predictions);

        Assert.True(code == 0, stderr);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(50.0, json.GetProperty("exact_match").GetDouble(), 10);
        Assert.Equal(100.0 * (1 + 0.5) / 2, json.GetProperty("f1").GetDouble(), 10);

        File.AppendAllText(references, Row("a", """{"text": ["Paris"], "answer_start": [0]}""") + "\n");
        var (twice, _, error) = await cli.RunAsync("evaluate", "--task", "question-answering", "--references", references, "--predictions", predictions);
        Assert.Equal(2, twice);
        Assert.Contains($"{references}:4: id a appears twice", error);
    }

    [Fact]
    public async Task Label_files_get_accuracy_and_macro_f1()
    {
        var references = Write("ref.txt", "positive\nnegative\nneutral\npositive\n");
        var predictions = Write("pred.txt", "positive\nnegative\npositive\npositive\n");

        var (code, stdout, _) = await cli.RunAsync("evaluate", "--task", "text-classification", "--references", references, "--predictions", predictions);

        Assert.Equal(0, code);
        var json = CliRunner.LastLine(stdout);
        Assert.Equal(0.75, json.GetProperty("accuracy").GetDouble());
        Assert.Equal((1.0 + 0 + 0.8) / 3, json.GetProperty("f1").GetDouble(), 10);
    }

    [Fact]
    public async Task Predict_output_lines_are_read_by_their_label_field()
    {
        var references = Write("ref2.txt", "positive\nnegative\nneutral\npositive\n");
        var predictions = Write("pred.out",
            """{"id": "1", "label": "positive", "score": 0.9}""" + "\n" + """{"label": "negative", "score": 0.6}""" + "\n\n" +
            """{"label": "positive", "score": 0.5}""" + "\n" + """{"label": "positive", "score": 0.7}""" + "\n");
        var broken = Write("broken.out", """{"label": "positive"}""" + "\n" + """{"score": 0.5}""" + "\n");

        var (code, stdout, _) = await cli.RunAsync("evaluate", "--task", "text-classification", "--references", references, "--predictions", predictions);
        var (refused, _, stderr) = await cli.RunAsync("evaluate", "--task", "text-classification", "--references", references, "--predictions", broken);

        Assert.Equal(0, code);
        Assert.Equal(0.75, CliRunner.LastLine(stdout).GetProperty("accuracy").GetDouble());
        Assert.Equal(2, refused);
        Assert.Contains($"{broken}:2: expected a JSON object with a string \"label\", as predict --input writes", stderr);
    }

    [Fact]
    public async Task Mismatched_tokens_are_reported_at_their_line()
    {
        var references = Write("ref2.conll", "a\tO\nb\tO\n\nc\tB-PER\nd\tO\n");
        var predictions = Write("pred2.conll", "a\tO\nb\tO\n\nc\tB-PER\nx\tO\n");

        var (code, _, stderr) = await cli.RunAsync("evaluate", "--task", "token-classification", "--references", references, "--predictions", predictions);

        Assert.Equal(2, code);
        Assert.Contains($"{predictions}:5: tokens differ", stderr);
    }

    [Theory]
    [InlineData("token-classification", "one-column-line\n", "expected 'token<TAB>tag'")]
    [InlineData("question-answering", "{\"no\": \"data\"}", "expected SQuAD v1.1 JSON")]
    [InlineData("text-classification", "a\nb\nc\n", "has 3 labels but")]
    public async Task Malformed_files_get_a_clear_error(string task, string references, string message)
    {
        var referencesPath = Write($"bad-{task}", references);
        var predictions = Write($"pred-{task}", task == "question-answering" ? "{}" : "a\tO\n");

        var (code, _, stderr) = await cli.RunAsync("evaluate", "--task", task, "--references", referencesPath, "--predictions", predictions);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
