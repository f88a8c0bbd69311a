using System.Text.Json;
using Course.Ml.Data;
using Course.Ml.Metrics;

namespace Course.Cli;

/// <summary>
/// <c>./course evaluate</c>: scores a prediction file against a reference file, like a competition's scoring
/// program, with Hugging Face <c>evaluate</c>'s metric names. Malformed files are reported as file:line.
/// </summary>
internal static class EvaluateCommand
{
    public static int Run(string? task, string? referencesPath, string? predictionsPath)
    {
        if (task is null)
        {
            throw new UsageException("evaluate needs --task text-classification|token-classification|question-answering");
        }
        var references = Existing(referencesPath, "--references");
        var predictions = Existing(predictionsPath, "--predictions");
        object result = task switch
        {
            "text-classification" => Classification(references, predictions),
            "token-classification" => TokenClassification(references, predictions),
            "question-answering" => QuestionAnswering(references, predictions),
            _ => throw new UsageException($"unknown task '{task}'; evaluate scores text-classification, token-classification and question-answering"),
        };
        CommandLine.WriteResult(result);
        return 0;
    }

    private static string Existing(string? path, string option) =>
        path is null ? throw new UsageException($"evaluate needs {option} FILE")
        : File.Exists(path) ? path : throw new UsageException($"{option}: {path} does not exist");

    /// <summary>One label per line (names or ids, as the references use them), or <c>predict --input</c>'s JSON lines.</summary>
    private static Dictionary<string, double> Classification(string referencesPath, string predictionsPath)
    {
        var references = Lines(referencesPath);
        var predictions = IsJsonLines(predictionsPath, "label") ? PredictedLines(predictionsPath, "label").Select(p => p.Value).ToList() : Lines(predictionsPath);
        if (references.Count != predictions.Count)
        {
            throw new UsageException($"{referencesPath} has {references.Count} labels but {predictionsPath} has {predictions.Count}: one label per line, same order.");
        }
        var labels = references.Concat(predictions).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var report = ClassificationMetrics.Compute(references.Select(r => index[r]).ToList(), predictions.Select(p => index[p]).ToList(), labels);
        return new Dictionary<string, double>
        {
            ["accuracy"] = report.Accuracy,
            ["f1"] = report.MacroF1,
            ["precision"] = report.MacroPrecision,
            ["recall"] = report.MacroRecall,
        };
    }

    private static List<string> Lines(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>CoNLL files: "token TAG" per line (tab or spaces), a blank line between sentences; same tokens both sides.</summary>
    private static Dictionary<string, object> TokenClassification(string referencesPath, string predictionsPath)
    {
        var references = ReadConll(referencesPath);
        var predictions = ReadConll(predictionsPath);
        if (references.Count != predictions.Count)
        {
            throw new UsageException($"{referencesPath} has {references.Count} sentences but {predictionsPath} has {predictions.Count}.");
        }
        for (var s = 0; s < references.Count; s++)
        {
            var (refTokens, predTokens) = (references[s].Tokens, predictions[s].Tokens);
            var mismatch = Enumerable.Range(0, Math.Max(refTokens.Count, predTokens.Count))
                .FirstOrDefault(i => i >= refTokens.Count || i >= predTokens.Count || refTokens[i] != predTokens[i], -1);
            if (mismatch >= 0)
            {
                throw new UsageException($"{predictionsPath}:{predictions[s].FirstLine + Math.Min(mismatch, predTokens.Count)}: tokens differ from {referencesPath} (sentence {s + 1}, token {mismatch + 1}).");
            }
        }
        var report = Seqeval.Compute(references.Select(r => r.Tags).ToList(), predictions.Select(p => p.Tags).ToList());
        var result = new Dictionary<string, object>();
        foreach (var type in report.PerType)
        {
            result[type.Type] = new { precision = type.Precision, recall = type.Recall, f1 = type.F1, number = type.Number };
        }
        result["overall_precision"] = report.OverallPrecision;
        result["overall_recall"] = report.OverallRecall;
        result["overall_f1"] = report.OverallF1;
        result["overall_accuracy"] = report.OverallAccuracy;
        return result;
    }

    private sealed record ConllSentence(List<string> Tokens, IReadOnlyList<string> Tags, int FirstLine);

    private static List<ConllSentence> ReadConll(string path)
    {
        var sentences = new List<ConllSentence>();
        var (tokens, tags, first) = (new List<string>(), new List<string>(), 1);
        var lines = File.ReadAllLines(path);
        for (var i = 0; i <= lines.Length; i++)
        {
            var line = i < lines.Length ? lines[i].Trim() : "";
            if (line.Length == 0)
            {
                if (tokens.Count > 0)
                {
                    sentences.Add(new ConllSentence(tokens, tags, first));
                }
                (tokens, tags, first) = ([], [], i + 2);
                continue;
            }
            var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                throw new UsageException($"{path}:{i + 1}: expected 'token<TAB>tag', found '{line}'");
            }
            tokens.Add(fields[0]);
            tags.Add(fields[^1]);
        }
        return sentences;
    }

    /// <summary>
    /// References in SQuAD v1.1 JSON or as a dataset split's SQuAD rows (JSON lines with <c>answers.text</c>), every
    /// reference answer of a question counting; predictions as {"id": "answer text"} or <c>predict --input</c>'s lines.
    /// </summary>
    private static Dictionary<string, double> QuestionAnswering(string referencesPath, string predictionsPath)
    {
        Dictionary<string, IReadOnlyList<string>> gold;
        Dictionary<string, string> predictions;
        try
        {
            if (IsJsonLines(referencesPath, "answers"))
            {
                gold = ReferenceRows(referencesPath);
            }
            else
            {
                using var references = ParseJson(referencesPath);
                gold = references.RootElement.GetProperty("data").EnumerateArray()
                    .SelectMany(article => article.GetProperty("paragraphs").EnumerateArray())
                    .SelectMany(paragraph => paragraph.GetProperty("qas").EnumerateArray())
                    .ToDictionary(
                        qa => qa.GetProperty("id").GetString()!,
                        qa => (IReadOnlyList<string>)qa.GetProperty("answers").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToList());
            }
            if (IsJsonLines(predictionsPath, "answer"))
            {
                predictions = [];
                foreach (var (line, id, answer) in PredictedLines(predictionsPath, "answer"))
                {
                    predictions[id ?? throw new UsageException($"{predictionsPath}:{line}: needs an \"id\" to match the references")] = answer;
                }
            }
            else
            {
                using var predicted = ParseJson(predictionsPath);
                predictions = predicted.RootElement.Deserialize<Dictionary<string, string>>()
                    ?? throw new UsageException($"{predictionsPath} is empty");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException($"expected SQuAD v1.1 JSON references and an {{\"id\": \"answer\"}} prediction file: {ex.Message}");
        }
        var (exact, f1) = SquadMetrics.Compute(gold, predictions);
        return new Dictionary<string, double> { ["exact_match"] = exact, ["f1"] = f1 };
    }

    /// <summary>SQuAD rows as the datasets ship them, one question per line: its id and all its reference answers.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ReferenceRows(string path)
    {
        var gold = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (number, line) in JsonLines.Read(path))
        {
            string id;
            List<string> texts;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                id = root.GetProperty("id").ToString();
                texts = root.GetProperty("answers").GetProperty("text").EnumerateArray().Select(a => a.GetString()!).ToList();
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new UsageException($"{path}:{number}: expected a SQuAD row with \"id\" and \"answers\": {{\"text\": [...], \"answer_start\": [...]}}");
            }
            if (texts.Count == 0)
            {
                throw new UsageException($"{path}:{number}: question {id} has no reference answer (SQuAD v1.1 scores answerable questions only)");
            }
            if (!gold.TryAdd(id, texts))
            {
                throw new UsageException($"{path}:{number}: id {id} appears twice");
            }
        }
        return gold;
    }

    /// <summary>A JSON Lines file (predict's output, a dataset split): its first line alone is a JSON object with <paramref name="field"/>.</summary>
    private static bool IsJsonLines(string path, string field)
    {
        var first = JsonLines.Read(path).Select(l => l.Text).FirstOrDefault();
        try
        {
            using var document = first is null ? null : JsonDocument.Parse(first);
            return document?.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty(field, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary><c>predict --input</c>'s output: per line, its number, the "id" if any and one string field.</summary>
    private static List<(int Line, string? Id, string Value)> PredictedLines(string path, string field)
    {
        var rows = new List<(int, string?, string)>();
        foreach (var (number, line) in JsonLines.Read(path))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var id = root.TryGetProperty("id", out var idValue) ? idValue.ToString() : null;
                rows.Add((number, id, root.GetProperty(field).GetString()!));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new UsageException($"{path}:{number}: expected a JSON object with a string \"{field}\", as predict --input writes");
            }
        }
        return rows;
    }

    /// <summary>A JSON file, or an error at the file's line where the JSON breaks.</summary>
    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{path}:{(ex.LineNumber ?? 0) + 1}: not valid JSON ({ex.Message.Split(" LineNumber:")[0]})");
        }
    }
}
