using System.Globalization;
using System.Text;
using Course.Core.Content;
using Course.Ml.Hub;
using Course.Ml.Tokenization;

namespace Course.Grading.Content;

/// <summary>An output a lesson shows that the platform computes differently.</summary>
public sealed record OutputDifference(string File, int Line, string Expected, string Actual);

/// <summary>What <c>./course content verify</c> found: how many outputs it recomputed, and those that differ.</summary>
public sealed record OutputReport(int Checked, IReadOnlyList<OutputDifference> Differences);

/// <summary>
/// Doctests for lessons: every <c>::: output</c> block is recomputed with the platform's tokenizers and compared
/// with what the lesson prints, in the form Python prints it (<c>print(tokenizer.tokenize(text))</c> shows
/// <c>['using', 'a', …]</c>), so an output a student reproduces in a notebook is the output the lesson shows.
/// </summary>
public sealed class LessonOutputs(ModelHub hub)
{
    /// <summary>The computations an output block may name, as the Python that prints them.</summary>
    public static IReadOnlyDictionary<string, string> Checks { get; } = new Dictionary<string, string>
    {
        ["tokens"] = "tokenizer.tokenize(text)",
        ["input_ids"] = "tokenizer(text)[\"input_ids\"]",
        ["word_ids"] = "tokenizer(text).word_ids()",
        ["encoding"] = "tokenizer(text) or tokenizer(text, pair)",
        ["decode"] = "tokenizer.decode(tokenizer(text)[\"input_ids\"])",
        ["vocab_size"] = "tokenizer.vocab_size",
    };

    /// <summary>Why <paramref name="output"/> cannot be checked (unknown check or tokenizer, missing text), or null.</summary>
    public static string? Problem(Directive output) =>
        !Checks.ContainsKey(output["check"]!) ? $"output check '{output["check"]}' is unknown (checks: {string.Join(", ", Checks.Keys)})"
        : !WidgetReferences.Tokenizers.Contains(output["tokenizer"]!) ? $"output tokenizer '{output["tokenizer"]}' is not one the platform runs (tokenizers: {string.Join(", ", WidgetReferences.Tokenizers)})"
        : output["check"] != "vocab_size" && output["text"] is null ? $"output check '{output["check"]}' needs text=\"…\""
        : output["pair"] is not null && output["check"] != "encoding" ? "only the 'encoding' check takes a pair"
        : null;

    /// <summary>Where Markdown renders with directives: lessons and assignment briefs.</summary>
    public static IReadOnlyList<string> Folders { get; } = ["topics", "assignments"];

    /// <summary>Recomputes every output block of the lessons and briefs under <paramref name="contentRoot"/>.</summary>
    public OutputReport Verify(string contentRoot)
    {
        var differences = new List<OutputDifference>();
        var count = 0;
        var files = Folders.Select(f => Path.Combine(contentRoot, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*.md", SearchOption.AllDirectories));
        foreach (var path in files.Order(StringComparer.Ordinal))
        {
            var file = Path.GetRelativePath(contentRoot, path).Replace('\\', '/');
            foreach (var (output, line, expected) in LessonMarkdown.Outputs(File.ReadAllText(path)))
            {
                count++;
                var actual = Problem(output) is { } problem ? $"(not checked: {problem})" : Compute(output);
                if (actual != expected.TrimEnd())
                {
                    differences.Add(new OutputDifference(file, line, expected.TrimEnd(), actual));
                }
            }
        }
        return new OutputReport(count, differences);
    }

    /// <summary>What Python prints for the block's computation.</summary>
    public string Compute(Directive output)
    {
        var tokenizer = AutoTokenizer.FromPretrained(output["tokenizer"]!, hub);
        var text = output["text"] ?? "";
        return output["check"] switch
        {
            "tokens" => PythonRepr.List(tokenizer.Encode(text, options: new TokenizerOptions { AddSpecialTokens = false }).Tokens.Select(PythonRepr.Str)),
            "input_ids" => PythonRepr.List(tokenizer.Encode(text).InputIds.Select(PythonRepr.Int)),
            "word_ids" => PythonRepr.List(tokenizer.Encode(text).WordIds.Select(w => w is { } id ? PythonRepr.Int(id) : "None")),
            "encoding" => Encoding(tokenizer.Encode(text, output["pair"])),
            "decode" => tokenizer.Decode(tokenizer.Encode(text).InputIds),
            "vocab_size" => PythonRepr.Int(tokenizer.VocabSize),
            var check => throw new ArgumentException($"unknown output check '{check}'"),
        };
    }

    /// <summary>A BatchEncoding prints as a dict of its fields, token_type_ids only where the tokenizer makes them.</summary>
    private static string Encoding(Course.Ml.Tokenization.Encoding encoding)
    {
        var fields = new List<string> { $"'input_ids': {PythonRepr.List(encoding.InputIds.Select(PythonRepr.Int))}" };
        if (encoding.TokenTypeIds is { } types)
        {
            fields.Add($"'token_type_ids': {PythonRepr.List(types.Select(PythonRepr.Int))}");
        }
        fields.Add($"'attention_mask': {PythonRepr.List(encoding.AttentionMask.Select(PythonRepr.Int))}");
        return "{" + string.Join(", ", fields) + "}";
    }
}

/// <summary>Python's <c>repr</c> of the values lessons print.</summary>
public static class PythonRepr
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string List(IEnumerable<string> items) => "[" + string.Join(", ", items) + "]";

    /// <summary>
    /// Single quotes unless the text holds a single quote and no double quote; backslashes, the chosen quote and
    /// control characters escaped, as CPython's <c>unicode_repr</c> does.
    /// </summary>
    public static string Str(string value)
    {
        var quote = value.Contains('\'') && !value.Contains('"') ? '"' : '\'';
        var repr = new StringBuilder().Append(quote);
        foreach (var c in value)
        {
            repr.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c == quote => $"\\{c}",
                _ when c < ' ' || c == '\x7f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return repr.Append(quote).ToString();
    }
}
