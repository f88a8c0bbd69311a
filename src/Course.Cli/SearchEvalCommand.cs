using System.Diagnostics;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Search;
using Course.Grading.Search;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Cli;

/// <summary>One line of a search-eval file: a student's question and the documents (lesson ids, <c>quiz:…</c>, <c>dataset:…</c>) that answer it.</summary>
internal sealed record EvalQuestion(string Question, IReadOnlyList<string> Targets, int Line);

/// <summary>
/// <c>./course search-eval FILE</c>: the site's search run on known questions, once per ranking (keywords, embeddings,
/// both fused), and the share of questions with a target among the first k results (recall@k), with the index's build time.
/// </summary>
internal static class SearchEvalCommand
{
    public static int Run(string file, int k)
    {
        var settings = CourseSettings.Load();
        var snapshot = ContentLoader.Load(settings.ContentRoot, new ContentLoadOptions());
        var corpus = SearchCorpus.For(snapshot, settings.ContentRoot);
        var (questions, errors) = Read(file, corpus.Select(d => d.Id).ToHashSet(StringComparer.Ordinal));
        if (errors.Count > 0)
        {
            errors.ForEach(Console.Error.WriteLine);
            return 1;
        }

        var search = settings.Services.GetRequiredService<CourseSearch>();
        var index = (EmbeddingSemanticIndex)settings.Services.GetRequiredService<ISemanticIndex>();
        var clock = Stopwatch.StartNew();
        search.Update(corpus); // loads the model, then embeds every passage
        var build = clock.Elapsed;
        if (!search.SemanticStatus.Ready)
        {
            Console.Error.WriteLine($"error: {search.SemanticStatus.Message}");
            return 1;
        }
        var embedding = index.LastUpdate!;
        var again = Stopwatch.StartNew();
        search.Update(corpus); // as a reload with nothing changed: every passage's embedding is found by its hash
        var reload = (again.Elapsed, index.LastUpdate!.Embedded);

        var modes = new[] { SearchMode.Keyword, SearchMode.Embedding, SearchMode.Hybrid };
        var found = modes.ToDictionary(m => m, m => questions.Select(q => Found(search.Search(q.Question, m, k), q)).ToList());
        Console.WriteLine($"{"question",-70} {"keyword",8} {"embedding",10} {"hybrid",7}");
        for (var i = 0; i < questions.Count; i++)
        {
            var text = questions[i].Question.Length > 68 ? questions[i].Question[..67] + "…" : questions[i].Question;
            Console.WriteLine($"{text,-70} {Mark(found[SearchMode.Keyword][i]),8} {Mark(found[SearchMode.Embedding][i]),10} {Mark(found[SearchMode.Hybrid][i]),7}");
        }
        double Recall(SearchMode mode) => Math.Round(found[mode].Count(f => f) / (double)questions.Count, 4);
        Console.WriteLine($"{$"recall@{k}",-70} {Recall(SearchMode.Keyword),8:0.000} {Recall(SearchMode.Embedding),10:0.000} {Recall(SearchMode.Hybrid),7:0.000}");
        var model = settings.Services.GetRequiredService<IOptions<SearchOptions>>().Value.Model;
        CommandLine.WriteResult(new Dictionary<string, object>
        {
            ["model"] = model,
            ["questions"] = questions.Count,
            ["k"] = k,
            ["documents"] = corpus.Count,
            ["passages"] = embedding.Passages,
            // 0 when the hub's cache held every passage (an earlier run or the site embedded them).
            ["embedded"] = embedding.Embedded,
            [$"keyword_recall_at_{k}"] = Recall(SearchMode.Keyword),
            [$"embedding_recall_at_{k}"] = Recall(SearchMode.Embedding),
            [$"hybrid_recall_at_{k}"] = Recall(SearchMode.Hybrid),
            ["index_build_seconds"] = Math.Round(build.TotalSeconds, 2),
            ["embedding_seconds"] = Math.Round(embedding.Elapsed.TotalSeconds, 2),
            ["reindex_unchanged_seconds"] = Math.Round(reload.Elapsed.TotalSeconds, 3),
            ["reindex_unchanged_embedded"] = reload.Embedded,
            ["device"] = settings.Device.type.ToString().ToLowerInvariant(),
        });
        return 0;
    }

    private static bool Found(SearchResults results, EvalQuestion question) => results.Hits.Any(h => question.Targets.Contains(h.Document.Id));

    private static string Mark(bool found) => found ? "yes" : "-";

    /// <summary>The questions of a JSON Lines file (<c>{"question": …, "targets": [ids]}</c>), each bad line as <c>file:line: message</c>.</summary>
    internal static (List<EvalQuestion> Questions, List<string> Errors) Read(string file, IReadOnlySet<string> documents)
    {
        if (!File.Exists(file))
        {
            return ([], [$"{file}: no such file (a JSON Lines file of {{\"question\": …, \"targets\": [\"4.2/tokenization\"]}})"]);
        }
        var questions = new List<EvalQuestion>();
        var errors = new List<string>();
        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }
            try
            {
                using var json = JsonDocument.Parse(line);
                var question = json.RootElement.TryGetProperty("question", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString()! : "";
                var targets = json.RootElement.TryGetProperty("targets", out var t) && t.ValueKind == JsonValueKind.Array
                    ? t.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : "").ToList()
                    : [];
                if (question.Trim().Length == 0 || targets.Count == 0)
                {
                    errors.Add($"{file}:{number}: each line needs \"question\" (text) and \"targets\" (a list of document ids)");
                }
                else if (targets.FirstOrDefault(id => !documents.Contains(id)) is { } unknown)
                {
                    errors.Add($"{file}:{number}: target '{unknown}' is not a document of the search (lesson ids look like 4.2/tokenization)");
                }
                else
                {
                    questions.Add(new EvalQuestion(question, targets, number));
                }
            }
            catch (JsonException ex)
            {
                errors.Add($"{file}:{number}: not a JSON object ({ex.Message})");
            }
        }
        if (questions.Count == 0 && errors.Count == 0)
        {
            errors.Add($"{file}: no questions");
        }
        return (questions, errors);
    }
}
