using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class GiftCommandTests(CliRunner cli) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-gift-").FullName;

    [Fact]
    public async Task A_quiz_exported_by_id_imports_back_and_an_existing_file_is_kept_without_force()
    {
        var gift = Path.Combine(_folder, "quiz-4-2.gift");
        var (code, stdout, stderr) = await cli.RunAsync("content", "export-gift", "quiz-4-2", "--output", gift);

        Assert.True(code == 0, stderr);
        // GIFT has no ordering type: the quiz's ordering items are the ones left out, the rest go over.
        var quiz = ContentLoader.Load(Path.Combine(Repository.Root, "content")).Quizzes.Single(q => q.Id == "quiz-4-2");
        var ordering = quiz.Items.Where(i => i.Type == QuizItemType.Ordering).Select(i => i.Number).ToList();
        Assert.NotEmpty(ordering);
        var export = CliRunner.LastLine(stdout);
        Assert.Equal(("quiz-4-2", quiz.Items.Count - ordering.Count), (export.GetProperty("quiz").GetString(), export.GetProperty("exported").GetInt32()));
        Assert.Equal(ordering, export.GetProperty("skipped").EnumerateArray().Select(n => n.GetInt32()));
        Assert.Contains($"item {ordering[0]} (ordering): skipped: GIFT has no ordering question type", stderr);
        Assert.StartsWith("::quiz-4-2 item 1::[markdown]How does an extractive question-answering model produce its answer?", File.ReadAllLines(gift).First(l => l.StartsWith("::quiz-4-2 item")));

        var markdown = Path.Combine(_folder, "quizzes", "copy.md");
        (code, stdout, stderr) = await cli.RunAsync("content", "import-gift", gift, "--output", markdown, "--id", "quiz-copy");

        Assert.True(code == 0, stderr);
        var import = CliRunner.LastLine(stdout);
        Assert.Equal(("quiz-copy", true, quiz.Items.Count - ordering.Count, 0, 0), (import.GetProperty("quiz").GetString(), import.GetProperty("written").GetBoolean(),
            import.GetProperty("imported").GetInt32(), import.GetProperty("skipped").GetInt32(), import.GetProperty("report").GetArrayLength()));
        Assert.Contains("## computed: Using the gpt2 tokenizer", File.ReadAllText(markdown));

        File.WriteAllText(markdown, "kept");
        (code, stdout, stderr) = await cli.RunAsync("content", "import-gift", gift, "--output", markdown);

        Assert.Equal(1, code);
        Assert.False(CliRunner.LastLine(stdout).GetProperty("written").GetBoolean());
        Assert.Contains("exists; --force overwrites it", stderr);
        Assert.Equal("kept", File.ReadAllText(markdown));

        (code, _, _) = await cli.RunAsync("content", "import-gift", gift, "--output", markdown, "--force");

        Assert.Equal(0, code);
        Assert.StartsWith("---\nid: quiz-4-2\n", File.ReadAllText(markdown));
    }

    [Fact]
    public async Task Broken_gift_and_questions_that_do_not_validate_write_nothing()
    {
        var gift = Path.Combine(_folder, "broken.gift");
        File.WriteAllText(gift, "// comment\n\n::Q::What?{=a ~b\n");
        var markdown = Path.Combine(_folder, "broken.md");

        var (code, _, stderr) = await cli.RunAsync("content", "import-gift", gift, "--output", markdown);

        Assert.Equal(1, code);
        Assert.Contains($"error: {gift}: line 3: '{{' is not closed", stderr);

        File.WriteAllText(gift, "::Q::What?{=a ~b ####Because.}\n");
        (code, var stdout, stderr) = await cli.RunAsync("content", "import-gift", gift, "--output", markdown, "--id", "Not An Id");

        Assert.Equal(1, code);
        var result = CliRunner.LastLine(stdout);
        Assert.Equal((false, false), (result.GetProperty("valid").GetBoolean(), result.GetProperty("written").GetBoolean()));
        Assert.Contains("id must be lowercase letters, digits and '-', not 'Not An Id'", stderr);
        Assert.False(File.Exists(markdown));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
