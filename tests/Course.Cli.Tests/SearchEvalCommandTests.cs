using Course.Ml.Hub;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class SearchEvalCommandTests(CliRunner cli) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-search-eval-").FullName;

    private string Write(string text)
    {
        var path = Path.Combine(_folder, "questions.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Every_bad_line_is_reported_at_its_line_before_any_model_runs()
    {
        var file = Write("""
            {"question": "how do I pad a batch?", "targets": ["4.2/tokenization"]}
            {"question": "no targets"}
            {"question": "where is it?", "targets": ["4.2/no-such-lesson"]}
            not json
            """);

        var (code, _, stderr) = await cli.RunAsync("search-eval", file);

        Assert.Equal(1, code);
        Assert.Equal([
            $"{file}:2: each line needs \"question\" (text) and \"targets\" (a list of document ids)",
            $"{file}:3: target '4.2/no-such-lesson' is not a document of the search (lesson ids look like 4.2/tokenization)",
        ], stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(2));
        Assert.StartsWith($"{file}:4: not a JSON object", stderr.Split('\n')[2]);
    }

    [Fact]
    public async Task The_last_line_holds_the_recall_of_each_ranking_and_an_unchanged_course_is_not_embedded_twice()
    {
        var model = TinyDemoModels.WriteEmbedder(new ModelHub(cli.HubPath));
        var file = Write("""{"question": "attention mask", "targets": ["4.2/tokenization"]}""" + "\n");
        Environment.SetEnvironmentVariable("Search__Model", model);
        try
        {
            var (code, stdout, stderr) = await cli.RunAsync("search-eval", file, "--k", "100");

            Assert.True(code == 0, stderr);
            var result = CliRunner.LastLine(stdout);
            Assert.Equal((model, 1, 100), (result.GetProperty("model").GetString(), result.GetProperty("questions").GetInt32(), result.GetProperty("k").GetInt32()));
            Assert.Equal(1.0, result.GetProperty("keyword_recall_at_100").GetDouble()); // every lesson holding both words is among 100
            Assert.Equal(result.GetProperty("passages").GetInt32(), result.GetProperty("embedded").GetInt32());
            Assert.Equal(0, result.GetProperty("reindex_unchanged_embedded").GetInt32());
            Assert.Contains("recall@100", stdout);

            // A new process finds every passage in the hub's cache.
            var (again, secondOut, secondErr) = await cli.RunAsync("search-eval", file, "--k", "100");
            Assert.True(again == 0, secondErr);
            var second = CliRunner.LastLine(secondOut);
            Assert.Equal((0, result.GetProperty("hybrid_recall_at_100").GetDouble()),
                (second.GetProperty("embedded").GetInt32(), second.GetProperty("hybrid_recall_at_100").GetDouble()));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Search__Model", null);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
