using Course.Yaml;

namespace Course.Web.Features.Assignments;

/// <summary>
/// The submission form's common fields over the YAML text: reads a key's value and writes it back in place through
/// <see cref="YamlText"/>, keeping the student's comments and layout (the YAML editor stays the whole truth). While
/// the text cannot be read as YAML the fields show nothing and leave it as it is: the editor shows where it breaks.
/// </summary>
public static class ConfigurationFields
{
    /// <summary>Top-level keys; every other field lives under <c>training_args:</c>.</summary>
    private static readonly HashSet<string> TopLevel = ["model_name_or_path", "max_seq_length"];

    private static string[] PathOf(string key) => TopLevel.Contains(key) ? [key] : ["training_args", key];

    public static string? Get(string yaml, string key) => Parse(yaml).Value(PathOf(key));

    public static string Set(string yaml, string key, string value) => Parse(yaml).With(value, PathOf(key)) ?? yaml;

    /// <summary>The problem that keeps the fields from reading the text, or null when they can.</summary>
    public static ContentError? Problem(string yaml) => Parse(yaml).Errors.FirstOrDefault();

    private static YamlText Parse(string yaml) => YamlText.Parse(yaml, "configuration");
}
