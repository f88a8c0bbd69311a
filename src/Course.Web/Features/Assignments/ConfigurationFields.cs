using System.Text.RegularExpressions;

namespace Course.Web.Features.Assignments;

/// <summary>
/// The submission form's common fields over the YAML text: reads a key's value and writes it back in place,
/// keeping the student's comments and layout (the YAML editor stays the whole truth).
/// </summary>
public static partial class ConfigurationFields
{
    /// <summary>Top-level keys; every other field lives under <c>training_args:</c>.</summary>
    private static readonly HashSet<string> TopLevel = ["model_name_or_path", "max_seq_length"];

    public static string? Get(string yaml, string key) =>
        Line(key).Match(yaml) is { Success: true } m ? m.Groups["value"].Value.Trim() : null;

    public static string Set(string yaml, string key, string value)
    {
        var line = Line(key);
        if (line.IsMatch(yaml))
        {
            return line.Replace(yaml, m => $"{m.Groups["indent"].Value}{key}: {value}{m.Groups["comment"].Value}", 1);
        }
        if (TopLevel.Contains(key))
        {
            return $"{key}: {value}\n{yaml}";
        }
        var section = TrainingArgs().Match(yaml);
        return section.Success
            ? yaml.Insert(section.Index + section.Length, $"\n  {key}: {value}")
            : yaml.TrimEnd() + $"\ntraining_args:\n  {key}: {value}\n";
    }

    private static Regex Line(string key) => new($@"^(?<indent>[ \t]*){Regex.Escape(key)}:(?<value>[^#\n]*?)(?<comment>[ \t]*#[^\n]*)?$", RegexOptions.Multiline);

    [GeneratedRegex(@"^training_args:[ \t]*(#[^\n]*)?$", RegexOptions.Multiline)]
    private static partial Regex TrainingArgs();
}
