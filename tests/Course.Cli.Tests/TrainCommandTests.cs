namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class TrainCommandTests(CliRunner cli) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-train-").FullName;

    [Fact]
    public async Task A_short_run_prints_hf_metric_names_and_saves_to_the_hub()
    {
        string[] sentiments = ["great value, works perfectly", "broke after a day, avoid", "arrived on time, fine", "love it, five stars", "terrible support, refund please", "it is okay I guess"];
        string[] labels = ["positive", "negative", "neutral", "positive", "negative", "neutral"];
        var rows = sentiments.Zip(labels).Select(p => $"{{\"text\": \"{p.First}\", \"label\": \"{p.Second}\"}}");
        File.WriteAllLines(Path.Combine(_folder, "train.jsonl"), rows);
        File.WriteAllLines(Path.Combine(_folder, "validation.jsonl"), rows.Take(3));
        var config = Path.Combine(_folder, "config.yaml");
        File.WriteAllText(config, """
            task: text-classification
            model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
            train_file: train.jsonl
            validation_file: validation.jsonl
            max_seq_length: 32
            training_args:
              max_steps: 2
              per_device_train_batch_size: 3
              logging_steps: 1
            """);

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config, "--output", "test/tiny-sentiment");

        Assert.Equal(0, code);
        var metrics = CliRunner.LastLine(stdout);
        foreach (var name in new[] { "eval_loss", "eval_accuracy", "eval_f1", "eval_precision", "eval_recall", "train_runtime", "train_samples_per_second" })
        {
            Assert.True(metrics.TryGetProperty(name, out _), name);
        }
        Assert.Contains("step 2/2", stderr);
        Assert.Contains("data preparation: 6 train rows → 6 training rows", stderr);
        var saved = Path.Combine(cli.HubPath, "test", "tiny-sentiment");
        Assert.True(File.Exists(Path.Combine(saved, "model.safetensors")));
        Assert.Contains("pipeline_tag: text-classification", File.ReadAllText(Path.Combine(saved, "README.md")));

        var (predictCode, prediction, _) = await cli.RunAsync("predict", "--task", "text-classification", "--model", "test/tiny-sentiment", "works great");
        Assert.Equal(0, predictCode);
        Assert.Equal(3, CliRunner.LastLine(prediction).GetArrayLength());

        // The saved model is the one evaluated: its predictions on the validation rows give the metrics again.
        var validation = sentiments.Zip(labels).Take(3).ToList();
        var predicted = new List<string>();
        var losses = new List<double>();
        foreach (var (text, gold) in validation)
        {
            var (rowCode, row, _) = await cli.RunAsync("predict", "--task", "text-classification", "--model", "test/tiny-sentiment", text);
            Assert.Equal(0, rowCode);
            var scores = CliRunner.LastLine(row).EnumerateArray().ToDictionary(s => s.GetProperty("label").GetString()!, s => s.GetProperty("score").GetDouble());
            predicted.Add(scores.MaxBy(s => s.Value).Key);
            losses.Add(-Math.Log(scores[gold]));
        }
        var pairs = validation.Select(v => v.Second).Zip(predicted).ToList();
        double Ratio(int count, int of) => of == 0 ? 0 : (double)count / of; // scikit-learn's zero_division=0
        var perClass = labels.Distinct().Select(label =>
        {
            var hits = pairs.Count(p => p.First == label && p.Second == label);
            var (precision, recall) = (Ratio(hits, pairs.Count(p => p.Second == label)), Ratio(hits, pairs.Count(p => p.First == label)));
            return (precision, recall, f1: precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
        }).ToList();
        Assert.Equal(Ratio(pairs.Count(p => p.First == p.Second), pairs.Count), metrics.GetProperty("eval_accuracy").GetDouble(), 1e-9);
        Assert.Equal(perClass.Average(c => c.precision), metrics.GetProperty("eval_precision").GetDouble(), 1e-9);
        Assert.Equal(perClass.Average(c => c.recall), metrics.GetProperty("eval_recall").GetDouble(), 1e-9);
        Assert.Equal(perClass.Average(c => c.f1), metrics.GetProperty("eval_f1").GetDouble(), 1e-9);
        // Evaluation pads the three rows into one batch; predict runs each alone, so the loss agrees to float rounding.
        Assert.Equal(losses.Average(), metrics.GetProperty("eval_loss").GetDouble(), 1e-4);
    }

    private static readonly (string Text, string Label)[] Reviews =
    [
        ("great value, works perfectly", "positive"), ("broke after a day, avoid", "negative"), ("arrived on time, fine", "neutral"),
        ("love it, five stars", "positive"), ("terrible support, refund please", "negative"), ("it is okay I guess", "neutral"),
    ];

    /// <summary>Six reviews to train on, the first three as validation and as the test split, and a run with <paramref name="decision"/>.</summary>
    private string DecisionConfig(string decision)
    {
        var rows = Reviews.Select(r => $"{{\"text\": \"{r.Text}\", \"label\": \"{r.Label}\"}}").ToList();
        File.WriteAllLines(Path.Combine(_folder, "train.jsonl"), rows);
        File.WriteAllLines(Path.Combine(_folder, "validation.jsonl"), rows.Take(3));
        var config = Path.Combine(_folder, "config.yaml");
        File.WriteAllText(config, $"""
            task: text-classification
            model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
            train_file: train.jsonl
            validation_file: validation.jsonl
            test_file: validation.jsonl
            max_seq_length: 32
            training_args:
              max_steps: 2
              per_device_train_batch_size: 3
            decision:
            {decision}
            """);
        return config;
    }

    /// <summary>Each label's score for <paramref name="text"/> from <c>./course predict</c>.</summary>
    private async Task<Dictionary<string, double>> PredictAsync(string model, string text)
    {
        var (code, stdout, stderr) = await cli.RunAsync("predict", "--task", "text-classification", "--model", model, text);
        Assert.True(code == 0, stderr);
        return CliRunner.LastLine(stdout).EnumerateArray().ToDictionary(s => s.GetProperty("label").GetString()!, s => s.GetProperty("score").GetDouble());
    }

    /// <summary>Trains <see cref="DecisionConfig"/> and saves the model as <paramref name="output"/>: its metrics, the log, and the saved config.json's class_bias.</summary>
    private async Task<(Func<string, double> Metric, string Log, IReadOnlyList<double> SavedBias)> TrainWithDecisionAsync(string decision, string output)
    {
        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", DecisionConfig(decision), "--output", output);
        Assert.True(code == 0, stderr);
        var metrics = CliRunner.LastLine(stdout);
        var saved = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.HubPath, output, "config.json")));
        return (name => metrics.GetProperty(name).GetDouble(), stderr,
            saved.RootElement.GetProperty("class_bias").EnumerateArray().Select(b => b.GetDouble()).ToList());
    }

    [Fact]
    public async Task An_explicit_class_bias_decides_validation_test_and_the_saved_models_predictions()
    {
        // Labels in id order: negative, neutral, positive. A bias of 1000 makes every prediction positive.
        var (metric, _, savedBias) = await TrainWithDecisionAsync("  class_bias: [0, 0, 1000]", "test/biased-sentiment");

        // Three validation (and test) rows, one of them positive: accuracy 1/3, positive recall 1, positive precision 1/3.
        Assert.Equal((1.0 / 3, 1.0, 1.0 / 3), (metric("eval_accuracy"), metric("eval_positive_recall"), metric("eval_positive_precision")));
        Assert.Equal((1.0 / 3, 1.0, 1.0 / 3), (metric("test_accuracy"), metric("test_positive_recall"), metric("test_positive_precision")));
        Assert.Equal((0.0, 0.0, 1000.0), (metric("decision_bias_negative"), metric("decision_bias_neutral"), metric("decision_bias_positive")));
        Assert.Equal([0.0, 0.0, 1000.0], savedBias);
        Assert.Equal("positive", (await PredictAsync("test/biased-sentiment", "broke after a day, avoid")).MaxBy(s => s.Value).Key);
    }

    [Fact]
    public async Task A_tuned_class_bias_is_reported_saved_and_used_for_the_test_split()
    {
        var (metric, log, savedBias) = await TrainWithDecisionAsync("  class_bias: tuned\n  tune_for: accuracy", "test/tuned-sentiment");

        string[] labels = ["negative", "neutral", "positive"];
        var bias = labels.Select(l => metric($"decision_bias_{l}")).ToList();
        Assert.Equal(0.0, bias[0]);
        Assert.Equal(bias, savedBias);
        Assert.Contains("class_bias tuned for accuracy on validation: negative 0", log);
        // The test split is the validation split here: the same rows under the same decision score the same.
        foreach (var name in new[] { "accuracy", "f1", "precision", "recall" })
        {
            Assert.Equal(metric($"eval_{name}"), metric($"test_{name}"));
        }
        // The saved model decides as the run did: its predictions on the validation rows give eval_accuracy again. Its
        // scores are the softmax of the biased logits, so log(score) - bias ranks the classes as the plain logits do,
        // which gives eval_no_bias_accuracy.
        var (biased, plain) = (0, 0);
        foreach (var (text, label) in Reviews.Take(3))
        {
            var scores = await PredictAsync("test/tuned-sentiment", text);
            biased += scores.MaxBy(s => s.Value).Key == label ? 1 : 0;
            plain += labels.MaxBy(l => Math.Log(scores[l]) - bias[Array.IndexOf(labels, l)]) == label ? 1 : 0;
        }
        Assert.Equal(biased / 3.0, metric("eval_accuracy"));
        Assert.Equal(plain / 3.0, metric("eval_no_bias_accuracy"));
    }

    [Fact]
    public async Task A_tune_for_the_labels_do_not_report_stops_the_run_before_training()
    {
        var config = DecisionConfig("  class_bias: tuned\n  tune_for: urgent_recall");

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("error: tune_for 'urgent_recall' is not a metric the bias can maximise: use one of accuracy, f1, negative_f1, negative_precision, negative_recall, "
            + "neutral_f1, neutral_precision, neutral_recall, positive_f1, positive_precision, positive_recall, precision, recall", stderr);
        Assert.DoesNotContain("step 1/", stderr);
    }

    [Fact]
    public async Task Question_answering_trains_on_squad_rows_and_reports_exact_match_and_f1()
    {
        var config = CourseDataConfig("question-answering", "course-qa", rows: 8, maxSeqLength: 96, batchSize: 4);
        // A one-word context has one span, so whatever the briefly trained model scores, the predicted answer is that
        // word: the first question's gold answer is it, the second's is not (and shares no token with it), and the
        // third's second reference is it (SQuAD dev has several references per question; the best one counts).
        File.WriteAllLines(Path.Combine(_folder, "question-answering-validation.jsonl"),
        [
            """{"id": "one-word-right", "question": "Which city is the capital of France?", "context": "Paris", "answers": {"text": ["Paris"], "answer_start": [0]}}""",
            """{"id": "one-word-wrong", "question": "Which planet is the hottest?", "context": "Mars", "answers": {"text": ["Venus"], "answer_start": [0]}}""",
            """{"id": "second-reference", "question": "Where did the council meet?", "context": "Rome", "answers": {"text": ["Milan", "Rome"], "answer_start": [0, 0]}}""",
        ]);

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config);

        Assert.True(code == 0, stderr);
        var metrics = CliRunner.LastLine(stdout);
        Assert.Equal(200.0 / 3, metrics.GetProperty("eval_exact_match").GetDouble(), 10);
        Assert.Equal(200.0 / 3, metrics.GetProperty("eval_f1").GetDouble(), 10);
        Assert.True(metrics.TryGetProperty("eval_loss", out _));
    }

    [Fact]
    public async Task Fill_mask_trains_the_mlm_head_and_reports_perplexity()
    {
        var config = CourseDataConfig("fill-mask", "product-reviews", rows: 12, maxSeqLength: 48, batchSize: 6);

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config);

        Assert.True(code == 0, stderr);
        var metrics = CliRunner.LastLine(stdout);
        Assert.Equal(Math.Exp(metrics.GetProperty("eval_loss").GetDouble()), metrics.GetProperty("eval_perplexity").GetDouble(), 6);
    }

    [Fact]
    public async Task A_validation_set_with_nothing_to_mask_reports_a_NaN_loss_and_still_prints_the_metrics()
    {
        var config = CourseDataConfig("fill-mask", "product-reviews", rows: 12, maxSeqLength: 48, batchSize: 6);
        File.WriteAllText(Path.Combine(_folder, "fill-mask-validation.jsonl"), "{\"text\": \"\"}\n");

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config);

        Assert.True(code == 0, stderr);
        var metrics = CliRunner.LastLine(stdout);
        Assert.Equal("NaN", metrics.GetProperty("eval_loss").GetString());
        Assert.Equal("NaN", metrics.GetProperty("eval_perplexity").GetString());
    }

    /// <summary>A two-step training config over the first rows of a course dataset (validation: the first third).</summary>
    private string CourseDataConfig(string task, string dataset, int rows, int maxSeqLength, int batchSize)
    {
        var lines = File.ReadLines(Path.Combine(RepoRoot(), "content", "datasets", dataset, "train.jsonl")).Take(rows).ToList();
        File.WriteAllLines(Path.Combine(_folder, $"{task}-train.jsonl"), lines);
        File.WriteAllLines(Path.Combine(_folder, $"{task}-validation.jsonl"), lines.Take(rows / 3));
        var config = Path.Combine(_folder, $"{task}.yaml");
        File.WriteAllText(config, $"""
            task: {task}
            model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
            train_file: {task}-train.jsonl
            validation_file: {task}-validation.jsonl
            max_seq_length: {maxSeqLength}
            training_args:
              max_steps: 2
              per_device_train_batch_size: {batchSize}
            """);
        return config;
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Course.sln not found.");
    }

    [Fact]
    public async Task Datasets_report_shows_a_configurations_splits_before_and_after_its_preprocessing()
    {
        File.WriteAllLines(Path.Combine(_folder, "train.jsonl"), [
            """{"text": "Great <b>value</b>", "label": "positive"}""", """{"text": "great value!", "label": "positive"}""",
            """{"text": "", "label": "negative"}""", """{"text": "Broke at once", "label": "negative"}"""]);
        File.WriteAllLines(Path.Combine(_folder, "validation.jsonl"), ["""{"text": "broke at once", "label": "negative"}"""]);
        var config = Path.Combine(_folder, "config.yaml");
        File.WriteAllText(config, """
            task: text-classification
            model_name_or_path: sentence-transformers/all-MiniLM-L6-v2
            train_file: train.jsonl
            validation_file: validation.jsonl
            max_seq_length: 8
            preprocessing:
              clean_text: [strip_html, normalize_whitespace]
              drop_empty: true
              deduplicate: normalized
            """);

        var (code, stdout, _) = await cli.RunAsync("datasets", "report", "--config", config);

        Assert.Equal(0, code);
        var report = CliRunner.LastLine(stdout);
        Assert.Equal("data preparation: 4 train rows → 1 training rows (text cleaned: 1, empty dropped: 1, duplicates dropped: 1, repeats of validation rows dropped: 1)",
            report.GetProperty("summary").GetString());
        Assert.Equal((4, 1), (report.GetProperty("before").GetProperty("splits").GetProperty("train").GetProperty("rows").GetInt32(),
            report.GetProperty("after").GetProperty("splits").GetProperty("train").GetProperty("rows").GetInt32()));
        Assert.Equal(1, report.GetProperty("preparation").GetProperty("duplicates").GetInt32());
        // Before: the validation row's near copy (line 4), the empty row (3), and the tagged row (1), which with its tags
        // is [CLS] great < b > value < / b > [SEP], over the 8 tokens of max_seq_length; after preparation, none.
        string Findings(string when, string split) => string.Join("; ", report.GetProperty(when).GetProperty("splits").GetProperty(split).GetProperty("findings")
            .EnumerateArray().Select(f => $"{f.GetProperty("kind").GetString()} {f.GetProperty("rows").GetInt32()} [{string.Join(' ', f.GetProperty("lines").EnumerateArray().Select(l => l.GetInt32()))}]"));
        Assert.Equal("near_duplicate_across_splits 1 [4]; empty 1 [3]; html 1 [1]; over_max_seq_length 1 [1]", Findings("before", "train"));
        Assert.Equal("near_duplicate_across_splits 1 [1]", Findings("before", "validation"));
        Assert.Equal("", Findings("after", "train"));
        Assert.Equal("", Findings("after", "validation"));
    }

    [Fact]
    public async Task Config_errors_are_printed_as_file_line_message()
    {
        var config = Path.Combine(_folder, "bad.yaml");
        File.WriteAllText(config, "task: text-classification\nmodel_name_or_path: x/y\ntrain_file: a.jsonl\nvalidation_file: b.jsonl\ntraining_args:\n  seed: -3\n");

        var (code, stdout, stderr) = await cli.RunAsync("train", "--config", config);

        Assert.Equal(1, code); // the input fails its checks, as with `content validate`
        Assert.Contains($"{config}:6: seed must be ≥ 0, not -3", stderr);
        Assert.Equal("", stdout);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
