namespace Course.Core.Quizzes.Gift;

/// <summary>
/// The <c>// course: key=value</c> lines that carry what GIFT has no place for. Moodle drops every line that starts
/// with <c>//</c>, so they pass through Moodle unseen, and <see cref="GiftImporter"/> restores them. Values are the
/// quiz file's own spellings (front matter values, raw <c>key:</c> values such as <c>tolerance=2%</c>), one line each.
/// Item keys (points, tolerance, case_sensitive, pattern, compute, tokenizer, text) sit just above their question,
/// in its blank-line-separated block.
/// </summary>
internal static class GiftComments
{
    private const string Prefix = "// course:";

    /// <summary>Front matter keys, written once at the top of the file.</summary>
    public static readonly IReadOnlyList<string> QuizKeys = ["id", "title", "topic", "attempts", "grading", "time_limit", "shuffle"];

    public static string Line(string key, string value) => $"{Prefix} {key}={value}";

    /// <summary>The key and value of a <c>// course:</c> line; null for any other line.</summary>
    public static (string Key, string Value)? Read(string line)
    {
        var text = line.Trim();
        var equals = text.IndexOf('=');
        return text.StartsWith(Prefix, StringComparison.Ordinal) && equals > Prefix.Length
            ? (text[Prefix.Length..equals].Trim(), text[(equals + 1)..])
            : null;
    }
}
