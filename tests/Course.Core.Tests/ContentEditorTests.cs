using Course.Tests.Shared;
using System.Diagnostics;
using Course.Core.Authoring;
using Course.Core.Configuration;
using Course.Core.Content;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Course.Yaml;

namespace Course.Core.Tests;

public sealed class ContentEditorTests : IDisposable
{
    private const string Quiz = """
        ---
        id: quiz-a
        title: Quiz A
        topic: "4.1"
        ---

        ## single: Which file holds `hidden_size`?
        - [ ] `vocab.txt`
        - [x] `config.json`

        explanation: The config describes the architecture.
        """;

    private readonly TempContent _content = new();
    private readonly string _data = Directory.CreateTempSubdirectory("course-data-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.Zero));
    private readonly ContentRepository _repository;
    private readonly ContentEditor _editor;

    public ContentEditorTests()
    {
        _content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "First", "Body"));
        _content.Write("quizzes/quiz-a.md", Quiz);
        var environment = new CourseEnvironment(_content.Root);
        _repository = new ContentRepository(environment, Options.Create(new ContentOptions { Path = "." }), NullLogger<ContentRepository>.Instance);
        _editor = new ContentEditor(_repository, environment, Options.Create(new DataOptions { Path = _data }), _clock);
    }

    public void Dispose()
    {
        _content.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public void A_valid_edit_is_saved_atomically_published_at_once_and_the_replaced_version_is_kept()
    {
        var opened = _editor.Open("topics/4.1-first/01-a.md");
        var edited = TempContent.Lesson("4.1", 1, "First, edited", "New **body**.");

        var outcome = _editor.Save(opened.Path, edited, opened.Version);

        Assert.True(outcome.Saved);
        Assert.Empty(outcome.Errors);
        Assert.Equal(edited, File.ReadAllText(Path.Combine(_content.Root, opened.Path)));
        Assert.Equal("First, edited", _repository.Current.FindLesson("4.1", "a")!.Title);
        Assert.Contains("<strong>body</strong>", _repository.Current.FindLesson("4.1", "a")!.Html);
        Assert.Equal(_editor.Open(opened.Path).Version, outcome.Version);
        Assert.NotEqual(opened.Version, outcome.Version);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_content.Root, "topics", "4.1-first"), "*.tmp", SearchOption.AllDirectories));

        var previous = Assert.Single(_editor.PreviousVersions(opened.Path));
        Assert.Equal(_clock.GetUtcNow(), previous.SavedAt);
        Assert.Equal(opened.Text, _editor.ReadPrevious(opened.Path, previous.Id));
    }

    [Fact]
    public void A_broken_quiz_is_refused_at_its_line_and_students_keep_the_old_quiz()
    {
        var opened = _editor.Open("quizzes/quiz-a.md");
        var broken = opened.Text.Replace("- [x] `config.json`", "- [ ] `config.json`");

        var outcome = _editor.Save(opened.Path, broken, opened.Version);

        Assert.False(outcome.Saved);
        var error = Assert.Single(outcome.Errors);
        Assert.Equal("quizzes/quiz-a.md", error.File);
        Assert.Equal(7, error.Line); // the item's heading
        Assert.Equal(opened.Text, File.ReadAllText(Path.Combine(_content.Root, opened.Path)));
        Assert.Equal("Quiz A", _repository.Current.FindQuiz("quiz-a")!.Title);
        Assert.Empty(_editor.PreviousVersions(opened.Path));
    }

    [Fact]
    public void An_edit_that_breaks_another_file_is_refused_and_names_that_file()
    {
        var clash = TempContent.Lesson("4.1", 1, "Second", "Same order as 01-a.");

        var check = _editor.Check("topics/4.1-first/02-b.md", clash);

        Assert.False(check.IsValid);
        Assert.Contains(check.Errors, e => e.Message.Contains("order 1 is also used by topics/4.1-first/01-a.md"));
        Assert.False(_editor.Save("topics/4.1-first/02-b.md", clash, null).Saved);
        Assert.False(File.Exists(Path.Combine(_content.Root, "topics/4.1-first/02-b.md")));
    }

    [Fact]
    public void A_new_lesson_is_created_and_a_stale_or_duplicate_save_is_refused()
    {
        var created = _editor.Save("topics/4.2-second/01-intro.md", TempContent.Lesson("4.2", 1, "Intro", "Hello"), null);
        Assert.True(created.Saved);
        Assert.Equal("Intro", _repository.Current.FindLesson("4.2", "intro")!.Title);

        var again = _editor.Save("topics/4.2-second/01-intro.md", TempContent.Lesson("4.2", 1, "Other", "Hello"), null);
        Assert.False(again.Saved);
        Assert.Contains("already exists", again.Errors.Single().Message);

        var stale = _editor.Save("topics/4.2-second/01-intro.md", TempContent.Lesson("4.2", 1, "Other", "Hello"), "0123456789abcdef");
        Assert.False(stale.Saved);
        Assert.Contains("changed on disk since you opened it", stale.Errors.Single().Message);
        Assert.Equal("Intro", _repository.Current.FindLesson("4.2", "intro")!.Title);
    }

    [Fact]
    public void A_file_or_gift_text_over_the_size_limit_is_refused_and_nothing_is_written()
    {
        var huge = TempContent.Lesson("4.1", 1, "First", new string('x', 512 * 1024));
        var version = _editor.Open("topics/4.1-first/01-a.md").Version;

        var check = _editor.Check("topics/4.1-first/01-a.md", huge);
        var save = _editor.Save("topics/4.1-first/01-a.md", huge, version);
        var gift = Assert.Throws<ArgumentException>(() => _editor.ImportGift(new string('x', 512 * 1024 + 1), "quizzes/new.md"));

        var expected = new ContentError("topics/4.1-first/01-a.md", 1, $"the file is {huge.Length:N0} characters long; at most 524,288 are accepted");
        Assert.Equal([expected], check.Errors);
        Assert.False(save.Saved);
        Assert.Equal([expected], save.Errors);
        Assert.Equal(version, _editor.Open("topics/4.1-first/01-a.md").Version);
        Assert.Equal("the GIFT text is 524,289 characters long; at most 524,288 are accepted", gift.Message);
    }

    [Theory]
    [InlineData("../secrets.md")]
    [InlineData("topics/../../etc/passwd.md")]
    [InlineData("datasets/product-reviews/train.jsonl")]
    [InlineData("/etc/passwd")]
    [InlineData("README.md")]
    [InlineData("quizzes/a.md\n")]            // ?file=quizzes%2Fa.md%0A: "$" matched before the newline
    [InlineData("module.yaml\n")]
    [InlineData("assignments/a/starter.yaml\n")]
    public void Only_module_files_can_be_opened_or_saved(string path)
    {
        Assert.Null(ContentEditor.KindOf(path));
        var error = Assert.Throws<ArgumentException>(() => _editor.Save(path, "x", null));
        Assert.Contains("is not an editable content file", error.Message);
    }

    [Fact]
    public void Files_lists_the_module_lessons_and_quizzes_by_kind()
    {
        Assert.Equal(
            [("module.yaml", ContentFileKind.Module), ("topics/4.1-first/01-a.md", ContentFileKind.Lesson), ("quizzes/quiz-a.md", ContentFileKind.Quiz)],
            _editor.Files().Select(f => (f.Path, f.Kind)));
    }

    [Fact]
    public void Changed_files_come_from_git_and_are_reported_missing_outside_a_checkout()
    {
        Assert.Contains("not in a git checkout", _editor.Changed().Problem);

        Run("git", "init", "-q", ".");
        Run("git", "add", "-A");
        Run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "content");
        Assert.Empty(_editor.Changed().Files);

        var opened = _editor.Open("topics/4.1-first/01-a.md");
        Assert.True(_editor.Save(opened.Path, TempContent.Lesson("4.1", 1, "Edited", "Body"), opened.Version).Saved);
        Assert.True(_editor.Save("quizzes/quiz-b.md", Quiz.Replace("quiz-a", "quiz-b"), null).Saved);

        var changed = _editor.Changed();
        Assert.Null(changed.Problem);
        Assert.Equal([("??", "quizzes/quiz-b.md"), ("M", "topics/4.1-first/01-a.md")], changed.Files.OrderBy(f => f.Path, StringComparer.Ordinal));
    }

    [Fact]
    public void A_quiz_exported_to_gift_imports_into_a_new_file_that_saves_with_the_same_items()
    {
        var export = _editor.ExportGift("quizzes/quiz-a.md");
        Assert.Equal(1, export.Exported);
        Assert.Contains("\t=`config.json`", export.Text);

        var imported = _editor.ImportGift(export.Text, "quizzes/quiz_copy.md");
        Assert.Equal(1, imported.Imported);
        Assert.True(_editor.Save("quizzes/quiz_copy.md", imported.Markdown, null).Saved);

        var (original, copy) = (_repository.Current.FindQuiz("quiz-a")!, _repository.Current.FindQuiz("quiz-copy")!);
        Assert.Equal(original.Items.Select(i => (i.PromptHtml, i.ExplanationHtml)), copy.Items.Select(i => (i.PromptHtml, i.ExplanationHtml)));
        Assert.Equal(original.Items[0].Options, copy.Items[0].Options);
        Assert.Throws<ArgumentException>(() => _editor.ImportGift(export.Text, "quizzes/quiz-a.md"));
        Assert.Throws<ArgumentException>(() => _editor.ExportGift("topics/4.1-first/01-a.md"));
    }

    private void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = _content.Root };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
