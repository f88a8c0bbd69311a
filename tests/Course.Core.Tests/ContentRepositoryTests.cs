using Course.Tests.Shared;
using Course.Core.Configuration;
using Course.Core.Content;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Course.Core.Tests;

public class ContentRepositoryTests
{
    private static ContentRepository Create(TempContent content) =>
        new(new CourseEnvironment(content.Root), Options.Create(new ContentOptions { Path = "." }), NullLogger<ContentRepository>.Instance);

    [Fact]
    public void A_lesson_that_breaks_keeps_its_last_good_version_and_reports_the_error()
    {
        using var content = new TempContent();
        var path = content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "Good title", "Good body"));
        var repository = Create(content);
        Assert.Equal("Good title", repository.Current.FindLesson("4.1", "a")!.Title);

        content.Write(path, TempContent.Lesson("4.1", 1, "Broken title", "::: nope\nx\n:::\n"));
        repository.Reload();

        var lesson = repository.Current.FindLesson("4.1", "a")!;
        Assert.Equal("Good title", lesson.Title);
        var error = Assert.Single(repository.Current.Errors);
        Assert.Equal(path, error.File);
        Assert.Contains("unknown directive 'nope'", error.Message);
        Assert.Same(repository.Current.FindFile("4.1", "a")!.Errors[0], error);
    }

    [Fact]
    public void A_broken_lesson_with_no_good_version_is_not_published()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", "no front matter");

        var repository = Create(content);

        Assert.Null(repository.Current.FindLesson("4.1", "a"));
        Assert.NotNull(repository.Current.FindFile("4.1", "a"));
    }

    [Fact]
    public void A_broken_module_yaml_keeps_the_published_content_and_raises_changed()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "A", "x"));
        var repository = Create(content);
        var changes = 0;
        repository.Changed += () => changes++;

        content.Write("module.yaml", "topics: [\n");
        repository.Reload();

        Assert.Equal(1, changes);
        Assert.Equal("Test module", repository.Current.Module.Title);
        Assert.NotNull(repository.Current.FindLesson("4.1", "a"));
        Assert.Contains(repository.Current.Errors, e => e.File == "module.yaml");
    }

    [Fact]
    public void A_lesson_is_split_once_per_content_version_and_a_changed_file_is_split_anew()
    {
        using var content = new TempContent();
        var path = content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "A", "Old text.\n\n::: pipeline task=\"fill-mask\"\n:::\n"));
        var repository = Create(content);
        var first = repository.Current;
        var segments = first.SegmentsOf(first.FindLesson("4.1", "a")!);

        // Every circuit asking within one version gets the very same segments (and so the same markup strings).
        Assert.Same(segments, repository.Current.SegmentsOf(repository.Current.FindLesson("4.1", "a")!));
        Assert.Equal(1, first.Version);
        Assert.Equal([null, "pipeline", null], segments.Select(s => s.Widget?.Name));

        content.Write(path, TempContent.Lesson("4.1", 1, "A", "New text."));
        repository.Reload();

        var second = repository.Current;
        Assert.Equal(2, second.Version);
        var changed = Assert.Single(second.SegmentsOf(second.FindLesson("4.1", "a")!));
        Assert.Contains("New text.", changed.Html);
        Assert.DoesNotContain("Old text.", changed.Html);
        Assert.Contains("Old text.", segments[0].Html);
    }
}

public class ContentWatcherTests
{
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_saved_lesson_appears_without_a_restart_and_a_broken_edit_keeps_the_last_good_version()
    {
        using var content = new TempContent();
        var path = content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "First", "Body"));
        var repository = new ContentRepository(new CourseEnvironment(content.Root), Options.Create(new ContentOptions { Path = "." }),
            NullLogger<ContentRepository>.Instance);
        using var watcher = new ContentWatcher(repository, TimeSpan.FromMilliseconds(100));

        content.Write("topics/4.1-first/02-b.md", TempContent.Lesson("4.1", 2, "Second", "New lesson"));
        await WaitUntilAsync(() => repository.Current.FindLesson("4.1", "b") is not null);
        Assert.Equal("Second", repository.Current.FindLesson("4.1", "b")?.Title);

        content.Write(path, TempContent.Lesson("4.1", 1, "First, edited", "::: nope\nx\n:::\n"));
        await WaitUntilAsync(() => repository.Current.Errors.Any());
        Assert.Equal("First", repository.Current.FindLesson("4.1", "a")!.Title);
        Assert.Contains("unknown directive 'nope'", repository.Current.Errors.Single().Message);
    }
}
