using System.Text.Json;
using Course.Ml.Hub;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

/// <summary><c>predict --input FILE.jsonl</c> over the tiny demo models: batched output, ids, scoring, refusals.</summary>
[Collection(CliCollection.Name)]
public sealed class PredictFileTests : IDisposable
{
    private readonly CliRunner _cli;
    private readonly string _folder = Directory.CreateTempSubdirectory("course-predict-").FullName;

    public PredictFileTests(CliRunner cli)
    {
        _cli = cli;
        TinyDemoModels.WriteTo(new ModelHub(cli.HubPath));
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Line(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task Question_answering_over_a_file_writes_one_answer_per_line_that_evaluate_scores()
    {
        var paris = "Paris is the capital of France. It lies on the Seine.";
        var tower = "The Eiffel Tower was completed in 1889 for the World's Fair. It was designed by the company of Gustave Eiffel.";
        var input = Write("qa.jsonl",
            Line(new { id = "q1", question = "What is the capital of France?", context = paris }),
            "",
            Line(new { id = "q2", question = "When was the tower completed?", context = tower }),
            Line(new { id = "q3", question = "Who designed it?", context = tower }));
        var output = Path.Combine(_folder, "answers.out"); // evaluate recognises the lines by their content, not the name

        var (code, stdout, stderr) = await _cli.RunAsync("predict", "--task", "question-answering", "--model", "course/minilm-qa",
            "--input", input, "--output", output, "--batch-size", "2");

        Assert.True(code == 0, stderr);
        var summary = CliRunner.LastLine(stdout);
        Assert.Equal(3, summary.GetProperty("examples").GetInt32());
        Assert.Equal(2, summary.GetProperty("batch_size").GetInt32());
        Assert.Equal(output, summary.GetProperty("output").GetString());
        Assert.Contains("predict: 3/3 examples", stderr);
        Assert.False(File.Exists(output + ".partial"));
        var answers = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["q1", "q2", "q3"], answers.Select(a => a.GetProperty("id").GetString()));
        var contexts = new[] { paris, tower, tower };
        for (var i = 0; i < 3; i++)
        {
            var (start, end) = (answers[i].GetProperty("start").GetInt32(), answers[i].GetProperty("end").GetInt32());
            Assert.Equal(contexts[i][start..end], answers[i].GetProperty("answer").GetString());
            // One input at a time gives the same answer as the batch.
            var (single, alone, _) = await _cli.RunAsync("predict", "--task", "question-answering", "--model", "course/minilm-qa",
                "--context", contexts[i], new[] { "What is the capital of France?", "When was the tower completed?", "Who designed it?" }[i]);
            Assert.Equal(0, single);
            Assert.Equal(answers[i].GetProperty("answer").GetString(), CliRunner.LastLine(alone).GetProperty("answer").GetString());
        }

        // Gold answers: q1's is what the model said, q2's and q3's are not, so exact match is 1 in 3.
        var references = Path.Combine(_folder, "dev.json");
        File.WriteAllText(references, Line(new
        {
            version = "1.1",
            data = new[]
            {
                new
                {
                    title = "t",
                    paragraphs = new[]
                    {
                        new { context = paris, qas = new[] { new { id = "q1", question = "?", answers = new[] { new { text = answers[0].GetProperty("answer").GetString(), answer_start = 0 } } } } },
                        new { context = tower, qas = new[] {
                            new { id = "q2", question = "?", answers = new[] { new { text = "zzz unrelated", answer_start = 0 } } },
                            new { id = "q3", question = "?", answers = new[] { new { text = "zzz unrelated", answer_start = 0 } } } } },
                    },
                },
            },
        }));
        var (scored, evaluation, _) = await _cli.RunAsync("evaluate", "--task", "question-answering", "--references", references, "--predictions", output);
        Assert.Equal(0, scored);
        Assert.Equal(100.0 / 3, CliRunner.LastLine(evaluation).GetProperty("exact_match").GetDouble(), 10);
    }

    [Fact]
    public async Task Without_output_each_result_is_a_line_of_stdout_with_its_id_and_top_label()
    {
        var input = Write("reviews.jsonl",
            Line(new { id = 7, text = "The battery lasts all week." }),
            Line(new { text = "It stopped charging after two days and support never answered." }));

        var (code, stdout, stderr) = await _cli.RunAsync("predict", "--task", "text-classification", "--model", "course/minilm-sentiment", "--input", input);

        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("7", lines[0].GetProperty("id").GetString());
        Assert.False(lines[1].TryGetProperty("id", out _));
        var (_, single, _) = await _cli.RunAsync("predict", "--task", "text-classification", "--model", "course/minilm-sentiment",
            "It stopped charging after two days and support never answered.");
        var best = CliRunner.LastLine(single)[0];
        Assert.Equal(best.GetProperty("label").GetString(), lines[1].GetProperty("label").GetString());
        Assert.Equal(best.GetProperty("score").GetSingle(), lines[1].GetProperty("score").GetSingle(), 5);
        Assert.Contains("\"examples\":2", stderr);
    }

    [Fact]
    public async Task Every_unusable_line_is_reported_at_its_line_and_nothing_is_written()
    {
        var input = Write("bad.jsonl",
            Line(new { id = "ok", text = "A fine [MASK]." }),
            "{\"text\": \"unfinished",
            Line(new { sentence = "wrong field [MASK]" }),
            "",
            Line(new { text = "   " }),
            Line(new { text = "two [MASK] and [MASK]" }),
            "[1, 2]",
            Line(new { id = true, text = "an [MASK] id" }));
        var output = Path.Combine(_folder, "never.jsonl");

        var (code, stdout, stderr) = await _cli.RunAsync("predict", "--task", "fill-mask", "--model", "course/minilm-fill-mask", "--input", input, "--output", output);

        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains($"{input}:2: not valid JSON", stderr);
        Assert.Contains($"{input}:3: needs a string \"text\"", stderr);
        Assert.Contains($"{input}:5: \"text\" is empty", stderr);
        Assert.Contains($"{input}:6: fill-mask needs exactly one [MASK] in \"text\"; found 2", stderr);
        Assert.Contains($"{input}:7: expected one JSON object per line", stderr);
        Assert.Contains($"{input}:8: \"id\" must be a string or a number", stderr);
        Assert.Contains($"6 line(s) of {input} are not usable; nothing was predicted", stderr);
        Assert.DoesNotContain($"{input}:1:", stderr);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    [Fact]
    public async Task A_question_too_long_for_any_window_is_refused_at_its_line_when_results_go_to_stdout()
    {
        var tooLong = string.Join(' ', Enumerable.Repeat("why", 400)); // 400 tokens: no room for context in 384
        var input = Write("long.jsonl",
            Line(new { question = "Who?", context = "Ada wrote it." }),
            Line(new { question = tooLong, context = "Ada wrote it." }));

        var (code, stdout, stderr) = await _cli.RunAsync("predict", "--task", "question-answering", "--model", "course/minilm-qa", "--input", input);

        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains($"{input}:2: The question is too long: it leaves no room for the context in 384 tokens. Nothing was written.", stderr);
    }

    [Fact]
    public async Task The_question_answering_flags_reach_the_pipeline_as_an_assignment_configures_them()
    {
        // Words that are one token each: a span of one token is one word.
        const string context = "the cat sat on the mat and the dog ran to the park with a red ball";
        string[] Answers(string stdout) => CliRunner.LastLine(stdout).EnumerateArray().Select(a => a.GetProperty("answer").GetString()!).ToArray();
        string[] args = ["predict", "--task", "question-answering", "--model", "course/minilm-qa", "--top-k", "5", "--context", context, "Where did the dog run?"];

        var (_, pipelineDefaults, _) = await _cli.RunAsync(args);
        var (code, oneToken, stderr) = await _cli.RunAsync([.. args, "--max-answer-length", "1"]);
        var (tooShort, _, refusal) = await _cli.RunAsync([.. args, "--max-seq-length", "8", "--doc-stride", "2"]);

        Assert.True(code == 0, stderr);
        Assert.Contains(Answers(pipelineDefaults), a => a.Contains(' ')); // up to 15 tokens by default
        Assert.All(Answers(oneToken), a => Assert.DoesNotContain(' ', a));
        Assert.Equal(2, tooShort);
        Assert.Contains("The question is too long: it leaves no room for the context in 8 tokens.", refusal);
    }

    [Fact]
    public async Task A_question_without_any_valid_span_gets_an_empty_answer_scoring_zero_not_a_crash()
    {
        // One start and one end candidate per window, one token long at most: unless the likeliest start is the
        // likeliest end, no span is valid.
        const string context = "the cat sat on the mat and the dog ran to the park with a red ball";
        var questions = new[] { "Where did the dog run?", "Who sat on the mat?", "What colour was the ball?", "What did the cat do?", "Where is the mat?" };
        var input = Write("nospan.jsonl", questions.Select((q, i) => Line(new { id = $"q{i}", question = q, context })).ToArray());

        var (code, stdout, stderr) = await _cli.RunAsync("predict", "--task", "question-answering", "--model", "course/minilm-qa",
            "--n-best-size", "1", "--max-answer-length", "1", "--input", input);

        Assert.True(code == 0, stderr);
        var answers = stdout.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(questions.Length, answers.Count);
        var empty = answers.Where(a => a.GetProperty("answer").GetString() == "").ToList();
        Assert.NotEmpty(empty);
        Assert.All(empty, a => Assert.Equal((0.0, 0, 0), (a.GetProperty("score").GetDouble(), a.GetProperty("start").GetInt32(), a.GetProperty("end").GetInt32())));
    }

    [Theory]
    [InlineData("text-classification", new[] { "--doc-stride", "32" }, "--doc-stride is only for question-answering")]
    [InlineData("text-classification", new[] { "--n-best-size", "5" }, "--n-best-size is only for question-answering")]
    [InlineData("question-answering", new[] { "--max-seq-length", "128", "--doc-stride", "64" }, "--doc-stride must be under half of the window (128 tokens), not 64")]
    [InlineData("question-answering", new[] { "--doc-stride", "192" }, "--doc-stride must be under half of the window (384 tokens), not 192")]
    [InlineData("question-answering", new[] { "--max-answer-length", "0x10" }, "--max-answer-length must be a whole number")]
    [InlineData("question-answering", new[] { "--n-best-size", "101" }, "--n-best-size must be a whole number from 1 to 100, not '101'")]
    public async Task Question_answering_flags_out_of_place_or_range_are_refused(string task, string[] flags, string message)
    {
        var model = task == "question-answering" ? "course/minilm-qa" : "course/minilm-sentiment";

        var (code, stdout, stderr) = await _cli.RunAsync(["predict", "--task", task, "--model", model, "--context", "Ada wrote it.", .. flags, "Who?"]);

        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains(message, stderr);
    }

    [Theory]
    [InlineData("--output", "predict needs exactly one TEXT argument")]
    [InlineData("text", "TEXT and --input exclude each other")]
    [InlineData("missing", "does not exist")]
    [InlineData("batch", "--batch-size is only for --input FILE.jsonl")]
    [InlineData("zero", "--batch-size must be a whole number from 1 to 256, not '0'")]
    public async Task Options_that_do_not_fit_together_are_refused_before_the_model_loads(string case_, string message)
    {
        var input = Write("one.jsonl", Line(new { text = "hello" }));
        string[] args = case_ switch
        {
            "--output" => ["--output", Path.Combine(_folder, "o.jsonl")],
            "text" => ["--input", input, "hello"],
            "missing" => ["--input", Path.Combine(_folder, "missing.jsonl")],
            "batch" => ["--batch-size", "4", "hello"],
            _ => ["--input", input, "--batch-size", "0"],
        };

        var (code, stdout, stderr) = await _cli.RunAsync(["predict", "--task", "text-classification", "--model", "course/minilm-sentiment", .. args]);

        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains(message, stderr);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
