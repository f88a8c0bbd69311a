namespace Course.Core.Content;

/// <summary>The course module as described by <c>content/module.yaml</c>.</summary>
public sealed record CourseModule(
    string Id,
    string Title,
    int Week,
    string Goal,
    IReadOnlyList<Topic> Topics)
{
    public Topic? FindTopic(string id) => Topics.FirstOrDefault(t => t.Id == id);

    /// <summary>What earns the module's certificate; null when the module issues none.</summary>
    public CertificatePolicy? Certificate { get; init; }
}

/// <summary>One topic of the module (e.g. "4.1"), its lessons in teaching order.</summary>
public sealed record Topic(
    string Id,
    string Title,
    string Folder,
    string Duration,
    IReadOnlyList<string> Objectives);

/// <summary>An entry of a lesson's on-page table of contents.</summary>
public sealed record TocEntry(int Level, string Anchor, string Text);

/// <summary>A lesson rendered from its Markdown file.</summary>
public sealed record Lesson(
    string TopicId,
    string Slug,
    string Title,
    int Order,
    int DurationMinutes,
    IReadOnlyList<string> Objectives,
    string Html,
    IReadOnlyList<TocEntry> Toc,
    string PlainText,
    string SourcePath)
{
    /// <summary>Stable identifier stored with progress: "4.1/the-hugging-face-ecosystem".</summary>
    public string Id => $"{TopicId}/{Slug}";

    public string Url => LessonUrls.For(TopicId, Slug);
}

public static class LessonUrls
{
    public static string For(string topicId, string slug) => $"/topics/{topicId}/{slug}";

    public static string ForTopic(string topicId) => $"/topics/{topicId}";

    /// <summary>"01-the-hugging-face-ecosystem.md" → "the-hugging-face-ecosystem".</summary>
    public static string SlugFromFileName(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var dash = stem.IndexOf('-');
        return dash > 0 && stem[..dash].All(char.IsDigit) ? stem[(dash + 1)..] : stem;
    }
}
