using System.Diagnostics;
using System.Text.Json;
using Course.Ml.Data;
using Course.Ml.Pipelines;

namespace Course.Cli;

/// <summary>
/// <c>./course predict --input FILE.jsonl</c>: a pipeline over a file, one JSON object per line with the task's
/// fields (<c>text</c>, or <c>question</c> and <c>context</c>; an optional <c>id</c> is copied to the output), as
/// HF's <c>pipe(dataset, batch_size=N)</c>. Every line is checked before the model runs, so a bad line costs no
/// work; results are written to a partial file renamed at the end, so an interrupted run leaves no output that
/// looks complete.
/// </summary>
internal static class BatchPrediction
{
    /// <summary>Largest input file read (a guard against a mistaken path to a corpus or a binary).</summary>
    public const long MaxInputBytes = 256L * 1024 * 1024;

    /// <summary>Inputs handed to the pipeline at once: the unit of progress and of memory for outputs in flight.</summary>
    private const int BatchesPerChunk = 16;

    private const int ErrorsShown = 20;

    private sealed record Example(int Line, string? Id, string Text, string? Context);

    public sealed record Settings(int BatchSize, int? TopK, AggregationStrategy Aggregation, QuestionAnsweringOptions Answering);

    public static int Run(Pipeline pipeline, string inputPath, string? outputPath, Settings settings)
    {
        var examples = Read(inputPath, pipeline);
        var watch = Stopwatch.StartNew();
        var partial = outputPath is null ? null : outputPath + ".partial";
        using (var writer = partial is null ? null : new StreamWriter(partial))
        {
            var chunk = settings.BatchSize * BatchesPerChunk;
            for (var first = 0; first < examples.Count; first += chunk)
            {
                var part = examples.GetRange(first, Math.Min(chunk, examples.Count - first));
                IReadOnlyList<object> results;
                try
                {
                    results = Predict(pipeline, part, settings);
                }
                catch (PipelineInputException ex)
                {
                    // Only a refusal the line checks could not foresee gets here (a question too long for any window).
                    if (writer is not null)
                    {
                        writer.Dispose();
                        File.Delete(partial!);
                    }
                    var kept = writer is null && first > 0 ? $"The results for the lines before line {part[0].Line} were printed." : "Nothing was written.";
                    throw new UsageException($"{inputPath}:{part[ex.Index].Line}: {ex.Message} {kept}");
                }
                foreach (var (example, result) in part.Zip(results))
                {
                    var line = CommandLine.Serialize(WithId(example.Id, result));
                    if (writer is null) Console.WriteLine(line); else writer.WriteLine(line);
                }
                var done = first + part.Count;
                Console.Error.WriteLine($"predict: {done}/{examples.Count} examples, {done / watch.Elapsed.TotalSeconds:0.0} examples/s");
            }
        }
        var summary = new
        {
            task = pipeline.Task,
            model = pipeline.ModelId,
            examples = examples.Count,
            batch_size = settings.BatchSize,
            seconds = Math.Round(watch.Elapsed.TotalSeconds, 2),
            examples_per_second = Math.Round(examples.Count / watch.Elapsed.TotalSeconds, 2),
            output = outputPath,
        };
        if (partial is null)
        {
            // The results are stdout's lines; the summary goes beside the progress so stdout stays one result per line.
            Console.Error.WriteLine(CommandLine.Serialize(summary));
        }
        else
        {
            File.Move(partial, outputPath!, overwrite: true);
            CommandLine.WriteResult(summary);
        }
        return 0;
    }

    private static IReadOnlyList<object> Predict(Pipeline pipeline, IReadOnlyList<Example> examples, Settings settings)
    {
        var texts = examples.Select(e => e.Text).ToList();
        return pipeline switch
        {
            TextClassificationPipeline p => p.Run(texts, settings.BatchSize).Select(r => Classification(r, settings.TopK)).ToList(),
            TokenClassificationPipeline p => p.Run(texts, settings.Aggregation, settings.BatchSize).Select(r => (object)new { entities = r }).ToList(),
            QuestionAnsweringPipeline p => p.Run(examples.Select(e => (e.Text, e.Context!)).ToList(), settings.Answering, settings.BatchSize)
                .Select(answers => Answer(answers, settings.TopK)).ToList(),
            FillMaskPipeline p => p.Run(texts, settings.TopK ?? 5, settings.BatchSize).Select(r => (object)new { predictions = r }).ToList(),
            FeatureExtractionPipeline p => p.Run(texts, settings.BatchSize).Select(r => (object)new { features = r }).ToList(),
            _ => throw new InvalidOperationException($"no batch output for {pipeline.Task}"),
        };
    }

    /// <summary>HF's top label and score; every label's with --top-k.</summary>
    private static object Classification(ClassificationResult result, int? topK) =>
        new { result.Scores[0].Label, result.Scores[0].Score, scores = topK is { } k ? result.Scores.Take(k) : null };

    /// <summary>HF's best answer; the k best with --top-k. An empty list cannot happen: every window has a context token.</summary>
    private static object Answer(IReadOnlyList<QuestionAnswer> answers, int? topK)
    {
        var best = answers.Count > 0 ? answers[0] : QuestionAnswer.NoSpan;
        return new { best.Score, best.Start, best.End, best.Answer, answers = topK is null ? null : answers };
    }

    private static Dictionary<string, object?> WithId(string? id, object result)
    {
        var fields = new Dictionary<string, object?>();
        if (id is not null)
        {
            fields["id"] = id;
        }
        foreach (var property in JsonSerializer.SerializeToElement(result, CommandLine.JsonOptions).EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Null)
            {
                fields[property.Name] = property.Value;
            }
        }
        return fields;
    }

    /// <summary>Every line checked; all problems reported as file:line (the first <see cref="ErrorsShown"/>), nothing run.</summary>
    private static List<Example> Read(string path, Pipeline pipeline)
    {
        if (new FileInfo(path).Length > MaxInputBytes)
        {
            throw new UsageException($"--input: {path} is {new FileInfo(path).Length:N0} bytes; at most {MaxInputBytes:N0} are read (split the file)");
        }
        var question = pipeline.Task == Pipeline.QuestionAnswering;
        var mask = pipeline.Tokenizer.SpecialTokens.MaskToken;
        var examples = new List<Example>();
        var errors = new List<string>();
        foreach (var (number, line) in JsonLines.Read(path))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("expected one JSON object per line");
                }
                var root = document.RootElement;
                var id = root.TryGetProperty("id", out var idValue)
                    ? idValue.ValueKind switch
                    {
                        JsonValueKind.String => idValue.GetString(),
                        JsonValueKind.Number => idValue.GetRawText(),
                        _ => throw new FormatException("\"id\" must be a string or a number"),
                    }
                    : null;
                var text = Field(root, question ? "question" : "text");
                var context = question ? Field(root, "context") : null;
                if (pipeline.Task == Pipeline.FillMask && mask is not null && CountOf(text, mask) != 1)
                {
                    throw new FormatException($"fill-mask needs exactly one {mask} in \"text\"; found {CountOf(text, mask)}");
                }
                examples.Add(new Example(number, id, text, context));
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                errors.Add($"{path}:{number}: {(ex is JsonException ? "not valid JSON" : ex.Message)}");
            }
        }
        if (errors.Count > 0)
        {
            foreach (var error in errors.Take(ErrorsShown))
            {
                Console.Error.WriteLine(error);
            }
            throw new UsageException($"{errors.Count:N0} line(s) of {path} are not usable{(errors.Count > ErrorsShown ? $" (the first {ErrorsShown} are listed)" : "")}; nothing was predicted");
        }
        if (examples.Count == 0)
        {
            throw new UsageException($"--input: {path} has no examples (one JSON object per line)");
        }
        return examples;

        string Field(JsonElement root, string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw new FormatException($"needs a string \"{name}\"{(question ? " (question-answering reads \"question\" and \"context\")" : "")}");
            }
            var text = value.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new FormatException($"\"{name}\" is empty");
            }
            if (text.Length > pipeline.Options.MaxInputCharacters)
            {
                throw new FormatException($"\"{name}\" has {text.Length:N0} characters; this pipeline accepts at most {pipeline.Options.MaxInputCharacters:N0}");
            }
            return text;
        }
    }

    private static int CountOf(string text, string token)
    {
        var count = 0;
        for (var at = text.IndexOf(token, StringComparison.Ordinal); at >= 0; at = text.IndexOf(token, at + token.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
