using Course.Yaml;

namespace Course.Ml.Hub;

/// <summary>
/// A model card or dataset card: the Hub's README.md with YAML front matter (pipeline_tag, language,
/// license, library_name, datasets, metrics, task_categories, …) and a Markdown body.
/// </summary>
public sealed record HubCard(IReadOnlyDictionary<string, object?> Metadata, string Body)
{
    public static HubCard Empty { get; } = new(new Dictionary<string, object?>(), "");

    public string? Value(string key) => Metadata.GetValueOrDefault(key) switch
    {
        string s => s,
        IEnumerable<string> list => list.FirstOrDefault(),
        _ => null,
    };

    /// <summary>A metadata entry as a list, whether written as a scalar or a YAML sequence.</summary>
    public IReadOnlyList<string> Values(string key) => Metadata.GetValueOrDefault(key) switch
    {
        string s => [s],
        IEnumerable<string> list => list.ToList(),
        _ => [],
    };

    /// <summary>The body's second-level section titles, e.g. "Intended use", "Limitations and bias".</summary>
    public IReadOnlyList<string> Sections => Body.Split('\n')
        .Where(l => l.StartsWith("## ", StringComparison.Ordinal))
        .Select(l => l[3..].Trim())
        .ToList();

    public static HubCard Parse(string text, string file)
    {
        text = text.Replace("\r\n", "\n");
        if (!text.StartsWith("---\n", StringComparison.Ordinal))
        {
            return new HubCard(new Dictionary<string, object?>(), text);
        }
        var end = text.IndexOf("\n---", 4, StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidDataException($"{file}:1: front matter is not closed with '---'");
        }
        var yaml = text[4..end];
        var errors = new List<ContentError>();
        // An empty front matter is a card without metadata, not an error.
        var raw = string.IsNullOrWhiteSpace(yaml) ? [] : YamlReader.Read<Dictionary<object, object?>>(yaml, file, 2, errors);
        if (raw is null)
        {
            throw new InvalidDataException(string.Join(Environment.NewLine, errors));
        }
        var metadata = raw.ToDictionary(kv => kv.Key.ToString()!, kv => Normalize(kv.Value));
        var bodyStart = text.IndexOf('\n', end + 1);
        return new HubCard(metadata, bodyStart < 0 ? "" : text[(bodyStart + 1)..].TrimStart('\n'));
    }

    public static HubCard Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path), path) : Empty;

    /// <summary>
    /// The card's <c>widget:</c> examples, as the Hub shows them above its inference widget: each a
    /// <c>text</c> and, for question answering, a <c>context</c>.
    /// </summary>
    public IReadOnlyList<(string Text, string? Context)> WidgetExamples() =>
        Metadata.GetValueOrDefault("widget") is List<IReadOnlyDictionary<string, string?>> examples
            ? examples.Where(e => e.GetValueOrDefault("text") is { Length: > 0 }).Select(e => (e["text"]!, e.GetValueOrDefault("context"))).ToList()
            : [];

    private static object? Normalize(object? value) => value switch
    {
        List<object> list when list.Any(v => v is Dictionary<object, object>) => list.OfType<Dictionary<object, object>>()
            .Select(map => (IReadOnlyDictionary<string, string?>)map.ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value?.ToString())).ToList(),
        List<object> list => list.Select(v => v?.ToString() ?? "").ToList(),
        Dictionary<object, object> map => map.ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value?.ToString()),
        null => null,
        _ => value.ToString(),
    };
}
