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
        ["token_ids"] = "tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))",
        ["input_ids"] = "tokenizer(text)[\"input_ids\"]",
        ["token_type_ids"] = "tokenizer(text)[\"token_type_ids\"]",
        ["ids_to_tokens"] = "tokenizer.convert_ids_to_tokens(tokenizer(text)[\"input_ids\"])",
        ["word_ids"] = "tokenizer(text).word_ids()",
        ["offset_mapping"] = "tokenizer(text, return_offsets_mapping=True)[\"offset_mapping\"]",
        ["encoding"] = "tokenizer(text)",
        ["decode"] = "tokenizer.decode(tokenizer(text)[\"input_ids\"])",
        ["decode_skip_special"] = "tokenizer.decode(tokenizer(text)[\"input_ids\"], skip_special_tokens=True)",
        ["vocab_size"] = "tokenizer.vocab_size",
    };

    /// <summary>Checks that encode without the tokenizer's call, so they take no second sentence.</summary>
    private static readonly HashSet<string> WithoutPair = ["tokens", "token_ids", "vocab_size"];

    /// <summary>
    /// The block's checks in order: <c>check="tokens,input_ids"</c> stands for a cell that prints both, one line each,
    /// every one computed for the same <c>text</c> (and <c>pair</c>, passed as <c>tokenizer(text, pair)</c>).
    /// </summary>
    public static IReadOnlyList<string> ChecksOf(Directive output) => output["check"]!.Split(',', StringSplitOptions.TrimEntries);

    /// <summary>Why <paramref name="output"/> cannot be checked (unknown check or tokenizer, missing text), or null.</summary>
    public static string? Problem(Directive output)
    {
        var checks = ChecksOf(output);
        return checks.FirstOrDefault(c => !Checks.ContainsKey(c)) is { } unknown ? $"output check '{unknown}' is unknown (checks: {string.Join(", ", Checks.Keys)})"
            : !WidgetReferences.Tokenizers.Contains(output["tokenizer"]!) ? $"output tokenizer '{output["tokenizer"]}' is not one the platform runs (tokenizers: {string.Join(", ", WidgetReferences.Tokenizers)})"
            : checks.FirstOrDefault(c => c != "vocab_size") is { } needsText && output["text"] is null ? $"output check '{needsText}' needs text=\"…\""
            : output["pair"] is not null && checks.FirstOrDefault(WithoutPair.Contains) is { } single ? $"output check '{single}' takes no pair (it does not call tokenizer(text, pair))"
            : null;
    }

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

    /// <summary>What Python prints for the block's computations, one line per check.</summary>
    public string Compute(Directive output)
    {
        var tokenizer = AutoTokenizer.FromPretrained(output["tokenizer"]!, hub);
        var text = output["text"] ?? "";
        var encoding = new Lazy<Course.Ml.Tokenization.Encoding>(() => tokenizer.Encode(text, output["pair"]));
        string[] Tokens() => tokenizer.Encode(text, options: new TokenizerOptions { AddSpecialTokens = false }).Tokens;
        return string.Join('\n', ChecksOf(output).Select(check => check switch
        {
            "tokens" => PythonRepr.List(Tokens().Select(PythonRepr.Str)),
            "token_ids" => PythonRepr.List(Tokens().Select(t => PythonRepr.Int(tokenizer.TokenToId(t)!.Value))),
            "input_ids" => PythonRepr.List(encoding.Value.InputIds.Select(PythonRepr.Int)),
            "token_type_ids" => encoding.Value.TokenTypeIds is { } types ? PythonRepr.List(types.Select(PythonRepr.Int)) : "KeyError: 'token_type_ids'",
            "ids_to_tokens" => PythonRepr.List(encoding.Value.Tokens.Select(PythonRepr.Str)),
            "word_ids" => PythonRepr.List(encoding.Value.WordIds.Select(w => w is { } id ? PythonRepr.Int(id) : "None")),
            "offset_mapping" => PythonRepr.List(encoding.Value.OffsetMapping.Select(o => $"({PythonRepr.Int(o.Start)}, {PythonRepr.Int(o.End)})")),
            "encoding" => Encoding(encoding.Value),
            "decode" => tokenizer.Decode(encoding.Value.InputIds),
            "decode_skip_special" => tokenizer.Decode(encoding.Value.InputIds, skipSpecialTokens: true),
            "vocab_size" => PythonRepr.Int(tokenizer.VocabSize),
            _ => throw new ArgumentException($"unknown output check '{check}'"),
        }));
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
