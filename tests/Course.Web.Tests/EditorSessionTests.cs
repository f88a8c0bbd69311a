using Course.Core.Authoring;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Tests.Shared;
using Course.Web.Features.Authoring;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Course.Web.Tests;

public sealed class EditorSessionTests : IDisposable
{
    private const string LessonPath = "topics/4.1-first/01-a.md";
    private readonly TempContent _content = new();
    private readonly string _data = Directory.CreateTempSubdirectory("course-editor-data-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.Zero));
    private readonly EditorSession _session;

    public EditorSessionTests()
    {
        _content.Write(LessonPath, TempContent.Lesson("4.1", 1, "First", "Body"));
        var environment = new CourseEnvironment(_content.Root);
        var repository = new ContentRepository(environment, Options.Create(new ContentOptions { Path = "." }), NullLogger<ContentRepository>.Instance);
        _session = new EditorSession(new ContentEditor(repository, environment, Options.Create(new DataOptions { Path = _data }), _clock), _clock);
    }

    public void Dispose()
    {
        _content.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Reopening_the_open_file_keeps_what_is_typed_and_another_file_replaces_it()
    {
        await _session.OpenAsync(LessonPath);
        _session.Text = "typed";

        await _session.OpenAsync(LessonPath);
        Assert.Equal(("typed", true), (_session.Text, _session.HasUnsavedChanges));

        await _session.OpenAsync("topics/4.1-first/02-new.md");
        Assert.Equal(("", null), (_session.Text, _session.Opened!.Version));

        await _session.OpenAsync("../outside.md");
        Assert.Null(_session.Opened);
        Assert.NotNull(_session.Problem);
    }

    [Fact]
    public async Task Typing_is_checked_once_it_pauses_and_only_the_last_pause_counts()
    {
        await _session.OpenAsync(LessonPath);
        _session.Text = TempContent.Lesson("4.1", 1, "First", "Broken [link](nowhere.md).");
        var first = _session.TextChangedAsync();
        _clock.Advance(EditorSession.Quiet / 2);
        _session.Text = TempContent.Lesson("4.1", 1, "First", "Fixed.");
        var second = _session.TextChangedAsync();

        _clock.Advance(EditorSession.Quiet);
        await Task.WhenAll(first, second);

        Assert.Equal((false, true), (_session.Checking, _session.Check!.IsValid));
    }

    [Fact]
    public async Task A_refused_save_keeps_the_text_with_its_errors_and_a_saved_one_is_published_with_its_time()
    {
        await _session.OpenAsync(LessonPath);
        var broken = TempContent.Lesson("4.1", 1, "First", "See [nothing](missing.md).");
        _session.Text = broken;

        await _session.SaveAsync();
        Assert.Equal((broken, null), (_session.Text, _session.Saved));
        Assert.Contains(_session.Check!.Errors, e => e.Message.Contains("missing.md"));

        _session.Text = TempContent.Lesson("4.1", 1, "First", "New body.");
        await _session.SaveAsync();
        Assert.Equal("Saved and published at 09:30:00 UTC; the replaced version is kept below.", _session.Saved);
        Assert.False(_session.HasUnsavedChanges);
        Assert.Single(_session.Previous);
    }

    [Theory]
    [InlineData("quizzes/new-quiz.md", "/instructor/editor?file=quizzes%2Fnew-quiz.md")]
    [InlineData(" topics/4.1-first/02-b.md ", "/instructor/editor?file=topics%2F4.1-first%2F02-b.md")]
    [InlineData("module.yaml", null)]
    [InlineData("quizzes/A b.md", null)]
    [InlineData("../outside.md", null)]
    public void Only_lesson_and_quiz_paths_make_a_new_file(string path, string? link)
    {
        Assert.Equal(link, _session.NewFileLink(path));
        Assert.Equal(link is null, _session.Problem is not null);
    }
}
