using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Course.Core.Content;

/// <summary>
/// Strict YAML reading for content files: unknown keys are errors (a typo such as <c>duraton</c>
/// must not silently drop a field) and every error carries the line in the original file.
/// </summary>
public static class YamlFrontMatter
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>
    /// Deserializes <paramref name="yaml"/>; <paramref name="firstLine"/> is the 1-based line of the
    /// file where the YAML text starts. Returns null and adds an error when it cannot be read.
    /// </summary>
    public static T? Read<T>(string yaml, string file, int firstLine, List<ContentError> errors) where T : class
    {
        try
        {
            var value = Deserializer.Deserialize<T>(yaml);
            if (value is null)
            {
                errors.Add(new ContentError(file, firstLine, "front matter is empty"));
            }
            return value;
        }
        catch (YamlException ex)
        {
            var line = firstLine + (int)Math.Max(ex.Start.Line, 1) - 1;
            errors.Add(new ContentError(file, line, Describe(ex)));
            return null;
        }
    }

    /// <summary>YamlDotNet wraps the useful message (e.g. "Property 'x' not found") in inner exceptions.</summary>
    private static string Describe(YamlException ex)
    {
        Exception inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }
        var message = inner is YamlException y && !string.IsNullOrEmpty(y.Message) ? y.Message : inner.Message;
        // YamlDotNet prefixes "(Line: 3, Col: 1, Idx: 20) - (…): " — the line is already ours.
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        message = message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
        return message.Contains("not found on type", StringComparison.Ordinal)
            ? "unknown key: " + message
            : "invalid YAML: " + message;
    }
}

/// <summary>Front matter of a lesson file.</summary>
public sealed class LessonFrontMatter
{
    public string? Title { get; set; }
    public string? Topic { get; set; }
    public int? Order { get; set; }

    /// <summary>Minutes.</summary>
    public int? Duration { get; set; }

    public List<string>? Objectives { get; set; }
}

/// <summary>Shape of content/module.yaml.</summary>
public sealed class ModuleFile
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public int Week { get; set; }
    public string? Goal { get; set; }
    public List<TopicFile>? Topics { get; set; }

    public sealed class TopicFile
    {
        public string? Id { get; set; }
        public string? Title { get; set; }
        public string? Folder { get; set; }
        public string? Duration { get; set; }
        public List<string>? Objectives { get; set; }
    }
}
