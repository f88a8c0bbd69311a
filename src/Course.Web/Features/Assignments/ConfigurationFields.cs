namespace Course.Web.Features.Assignments;

/// <summary>
/// The submission form's common fields over the YAML text: reads a key's value and writes it back in place,
/// keeping the student's comments and layout (the YAML editor stays the whole truth). It runs on every render
/// of the page over text the student types, so it reads line by line in linear time: the regular expression it
/// replaced backtracked quadratically over a long run of spaces after a key.
/// </summary>
public static class ConfigurationFields
{
    /// <summary>Top-level keys; every other field lives under <c>training_args:</c>.</summary>
    private static readonly HashSet<string> TopLevel = ["model_name_or_path", "max_seq_length"];

    public static string? Get(string yaml, string key) => Find(yaml, key)?.Value.Trim();

    public static string Set(string yaml, string key, string value)
    {
        if (Find(yaml, key) is { } line)
        {
            return string.Concat(yaml.AsSpan(0, line.Start), $"{line.Indent}{key}: {value}{line.Comment}", yaml.AsSpan(line.End));
        }
        if (TopLevel.Contains(key))
        {
            return $"{key}: {value}\n{yaml}";
        }
        return Find(yaml, "training_args") is { Indent: "" } section && section.Value.Trim().Length == 0
            ? yaml.Insert(section.End, $"\n  {key}: {value}")
            : yaml.TrimEnd() + $"\ntraining_args:\n  {key}: {value}\n";
    }

    /// <summary>
    /// A <c>key: value  # comment</c> line: <see cref="Start"/> and <see cref="End"/> bound it in the text (without
    /// its newline); the comment keeps the spaces before its <c>#</c>.
    /// </summary>
    private sealed record KeyLine(int Start, int End, string Indent, string Value, string Comment);

    /// <summary>The first line, at any indentation, that sets <paramref name="key"/>.</summary>
    private static KeyLine? Find(string yaml, string key)
    {
        for (var start = 0; start <= yaml.Length;)
        {
            var newline = yaml.IndexOf('\n', start);
            var end = newline < 0 ? yaml.Length : newline;
            var line = yaml.AsSpan(start, end - start);
            var content = line.TrimStart(" \t");
            if (content.StartsWith(key, StringComparison.Ordinal) && content[key.Length..].StartsWith(":"))
            {
                var rest = content[(key.Length + 1)..];
                var hash = rest.IndexOf('#');
                var value = hash < 0 ? rest : rest[..hash].TrimEnd(" \t");
                return new KeyLine(start, end, line[..^content.Length].ToString(), value.ToString(), rest[value.Length..].ToString());
            }
            start = end + 1;
        }
        return null;
    }
}
