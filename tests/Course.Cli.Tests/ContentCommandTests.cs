using System.Text.RegularExpressions;

namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class ContentCommandTests(CliRunner cli) : IDisposable
{
    private readonly string _copy = Directory.CreateTempSubdirectory("course-content-copy-").FullName;

    [Fact]
    public async Task The_repository_content_validates_with_computed_keys_assignments_and_starters()
    {
        var (code, stdout, stderr) = await cli.RunAsync("content", "validate");

        Assert.True(code == 0, stderr);
        var result = CliRunner.LastLine(stdout);
        Assert.True(result.GetProperty("valid").GetBoolean());
        var content = Path.Combine(TrainCommandTests.RepoRoot(), "content");
        Assert.Equal(Directory.GetFiles(Path.Combine(content, "topics"), "*.md", SearchOption.AllDirectories).Length, result.GetProperty("lessons").GetInt32());
        Assert.Equal(Directory.GetFiles(Path.Combine(content, "quizzes"), "*.md").Length, result.GetProperty("quizzes").GetInt32());
        // Every quiz item opens with a `## kind: question` heading: counted in the files, not through the parser.
        var headings = Directory.GetFiles(Path.Combine(content, "quizzes"), "*.md")
            .Sum(file => File.ReadLines(file).Count(line => Regex.IsMatch(line, "^## [a-z-]+: ")));
        Assert.Equal(headings, result.GetProperty("quiz_items").GetInt32());
        Assert.Equal(AssignmentIds().Length, result.GetProperty("assignments").GetInt32());
        // A fresh clone grades against the shipped samples, and says so (not an error).
        Assert.Equal(AssignmentIds(), result.GetProperty("practice_grading").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("note: assignments/sentiment/assignment.md: practice grading: the hidden split is the public sample shipped with the code", stderr);
    }

    [Fact]
    public async Task Content_stats_count_lessons_quiz_items_by_type_assignments_and_splits()
    {
        var (code, stdout, _) = await cli.RunAsync("content", "stats");

        Assert.Equal(0, code);
        var stats = CliRunner.LastLine(stdout);
        Assert.Equal(4, stats.GetProperty("lessons").GetProperty("4.1").GetInt32());
        var byType = stats.GetProperty("quiz_items_by_type");
        Assert.Equal(stats.GetProperty("quiz_items").GetInt32(), byType.EnumerateObject().Sum(t => t.Value.GetInt32()));
        Assert.Equal(7, byType.EnumerateObject().Count());
        Assert.Equal(AssignmentIds(), stats.GetProperty("assignments").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal));
        Assert.True(stats.GetProperty("datasets").GetProperty("product-reviews").GetProperty("train").GetInt32() >= 800);
    }

    [Fact]
    public async Task A_deliberately_broken_quiz_and_starter_are_reported_at_their_lines()
    {
        CopyDirectory(Path.Combine(TrainCommandTests.RepoRoot(), "content"), _copy);
        var quiz = Path.Combine(_copy, "quizzes", "4.1-ecosystem.md");
        var lines = File.ReadAllLines(quiz).ToList();
        var first = lines.FindIndex(l => l.StartsWith("tolerance:", StringComparison.Ordinal));
        lines[first] = "tolerance: a little";
        File.WriteAllLines(quiz, lines);
        var starter = Path.Combine(_copy, "assignments", "sentiment", "starter.yaml");
        File.WriteAllText(starter, File.ReadAllText(starter).Replace("learning_rate: 3.0e-5", "learning_rate: 0.5"));

        var (code, _, stderr) = await cli.RunAsync("content", "validate", _copy);

        Assert.Equal(1, code);
        Assert.Contains($"quizzes/4.1-ecosystem.md:{first + 1}: tolerance must be a non-negative number or percentage (0.01, 2%), not 'a little'", stderr);
        var starterLine = File.ReadAllLines(starter).ToList().FindIndex(l => l.Contains("learning_rate: 0.5")) + 1;
        Assert.Contains($"assignments/sentiment/starter.yaml:{starterLine}: training_args.learning_rate must be within", stderr);
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(source, target));
        }
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(source, target));
        }
    }

    /// <summary>The shipped assignments: one folder each under content/assignments, in ordinal order.</summary>
    private static string[] AssignmentIds() =>
        Directory.GetDirectories(Path.Combine(TrainCommandTests.RepoRoot(), "content", "assignments")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => Directory.Delete(_copy, recursive: true);
}
