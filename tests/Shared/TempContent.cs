namespace Course.Tests.Shared;

/// <summary>A throw-away content folder with a module of two topics, written per test.</summary>
public sealed class TempContent : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("course-content-").FullName;

    public TempContent(string? moduleYaml = null)
    {
        File.WriteAllText(Path.Combine(Root, "module.yaml"), moduleYaml ?? """
            id: m
            title: Test module
            week: 4
            goal: Learn things.
            topics:
              - id: "4.1"
                title: First topic
                folder: 4.1-first
                duration: 1 hour
                objectives: [Know A]
              - id: "4.2"
                title: Second topic
                folder: 4.2-second
                duration: 2 hours
                objectives: [Know B]
            """);
        Directory.CreateDirectory(Path.Combine(Root, "topics", "4.1-first"));
        Directory.CreateDirectory(Path.Combine(Root, "topics", "4.2-second"));
    }

    public static string Lesson(string topic, int order, string title, string body) => $"""
        ---
        title: {title}
        topic: "{topic}"
        order: {order}
        duration: 10
        objectives:
          - Understand {title}.
        ---
        {body}
        """;

    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return relativePath;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
