using Course.Tests.Shared;
using Course.Core.Content;

namespace Course.Core.Tests;

public class ContentLoaderTests
{
    [Fact]
    public void Loads_the_module_and_orders_lessons_by_topic_then_order()
    {
        using var content = new TempContent();
        content.Write("topics/4.2-second/01-b.md", TempContent.Lesson("4.2", 1, "B", "Body B"));
        content.Write("topics/4.1-first/02-second.md", TempContent.Lesson("4.1", 2, "A2", "Body A2"));
        content.Write("topics/4.1-first/01-first.md", TempContent.Lesson("4.1", 1, "A1", "See [next](02-second.md)."));

        var snapshot = ContentLoader.Load(content.Root);

        Assert.Empty(snapshot.Errors);
        Assert.Equal("Test module", snapshot.Module.Title);
        Assert.Equal(["A1", "A2", "B"], snapshot.Lessons.Select(l => l.Title));
        var first = snapshot.FindLesson("4.1", "first")!;
        Assert.Equal("4.1/first", first.Id);
        Assert.Contains("href=\"/topics/4.1/second\"", first.Html);
        var (previous, next) = snapshot.Neighbours(snapshot.Lessons[1]);
        Assert.Equal("A1", previous!.Title);
        Assert.Equal("B", next!.Title);
    }

    [Fact]
    public void Missing_front_matter_is_an_error_on_line_one()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", "# Just a heading\n");

        var snapshot = ContentLoader.Load(content.Root);

        var error = Assert.Single(snapshot.Errors);
        Assert.Equal(("topics/4.1-first/01-a.md", 1), (error.File, error.Line));
        Assert.Contains("missing front matter", error.Message);
        Assert.Empty(snapshot.Lessons);
    }

    [Fact]
    public void Malformed_yaml_is_reported_at_its_line_in_the_file()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", "---\ntitle: A\ntopic: \"4.1\"\norder: [1\nduration: 5\n---\nBody\n");

        var error = Assert.Single(ContentLoader.Load(content.Root).Errors);

        Assert.Equal("topics/4.1-first/01-a.md", error.File);
        Assert.Equal(4, error.Line); // the line holding the unclosed "[1"
        Assert.StartsWith("invalid YAML", error.Message);
    }

    [Fact]
    public void Unknown_front_matter_keys_are_errors_naming_the_key()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", "---\ntitle: A\ntopic: \"4.1\"\norder: 1\nduraton: 5\nobjectives: [x]\n---\nBody\n");

        var error = Assert.Single(ContentLoader.Load(content.Root).Errors);

        Assert.Equal(5, error.Line);
        Assert.Contains("unknown key", error.Message);
        Assert.Contains("duraton", error.Message);
    }

    [Fact]
    public void Missing_fields_wrong_topic_and_bad_duration_are_each_reported()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", "---\ntopic: \"4.2\"\norder: 0\nduration: 900\n---\nBody\n");

        var messages = ContentLoader.Load(content.Root).Errors.Select(e => e.Message).ToList();

        Assert.Contains(messages, m => m.Contains("needs 'title'"));
        Assert.Contains(messages, m => m.Contains("'topic' is '4.2'"));
        Assert.Contains(messages, m => m.Contains("'order'"));
        Assert.Contains(messages, m => m.Contains("'duration'"));
        Assert.Contains(messages, m => m.Contains("'objectives'"));
    }

    [Fact]
    public void Two_lessons_with_the_same_order_in_a_topic_are_reported()
    {
        using var content = new TempContent();
        content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "A", "x"));
        content.Write("topics/4.1-first/02-b.md", TempContent.Lesson("4.1", 1, "B", "y"));

        var error = Assert.Single(ContentLoader.Load(content.Root).Errors);

        Assert.Contains("order 1 is also used by topics/4.1-first/01-a.md", error.Message);
    }

    [Fact]
    public void A_missing_topic_folder_is_reported_against_module_yaml()
    {
        using var content = new TempContent();
        Directory.Delete(Path.Combine(content.Root, "topics", "4.2-second"));

        var error = Assert.Single(ContentLoader.Load(content.Root).Errors);

        Assert.Equal("module.yaml", error.File);
        Assert.Contains("topics/4.2-second does not exist", error.Message);
    }

    [Fact]
    public void An_unusable_module_yaml_throws_with_located_errors()
    {
        using var content = new TempContent("title: x\ntopics: [\n");

        var ex = Assert.Throws<ContentException>(() => ContentLoader.Load(content.Root));

        Assert.All(ex.Errors, e => Assert.Equal("module.yaml", e.File));
        Assert.Contains(ex.Errors, e => e.Message.StartsWith("invalid YAML"));
    }

    [Fact]
    public void The_repository_content_validates()
    {
        var root = Path.Combine(RepoRoot(), "content");

        var snapshot = ContentLoader.Load(root);

        Assert.Equal(["4.1", "4.2", "4.3", "4.4"], snapshot.Module.Topics.Select(t => t.Id));
        Assert.Empty(snapshot.Errors.Select(e => e.ToString()));
        Assert.NotEmpty(snapshot.LessonsOf("4.1"));
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
        throw new InvalidOperationException("Course.sln not found above the test output.");
    }
}
