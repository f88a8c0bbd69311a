using System.Globalization;
using System.Text;
using Course.Core.Content;
using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Pipelines;
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
        ["attention_mask"] = "tokenizer(text)[\"attention_mask\"]",
        ["vocab_size"] = "tokenizer.vocab_size",
        ["model_max_length"] = "tokenizer.model_max_length",
        ["vocab_len"] = "len(tokenizer.get_vocab())",
        ["len"] = "len(tokenizer)",
        ["add_tokens"] = "tokenizer.add_tokens(added)",
        ["embedding_shape"] = "embeddings.shape",
        ["cosine_similarity"] = "[round(s, 4) for s in (embeddings[0] @ embeddings[1:].T).tolist()]",
    };

    /// <summary>
    /// Checks that run the model <c>tokenizer</c> names on <c>texts</c> as sentence-transformers does (padded batch,
    /// last hidden state, mean pooling over the attention mask, L2 normalisation) into <c>embeddings</c>.
    /// </summary>
    private static readonly HashSet<string> Embedded = ["embedding_shape", "cosine_similarity"];

    /// <summary>Checks that encode without the tokenizer's call, so they take no second sentence.</summary>
    private static readonly HashSet<string> WithoutPair = ["tokens", "token_ids", "vocab_size", "model_max_length", "vocab_len", "len", "add_tokens"];

    /// <summary>Checks that read the vocabulary, not a text.</summary>
    private static readonly HashSet<string> WithoutText = ["vocab_size", "model_max_length", "vocab_len", "len", "add_tokens"];

    /// <summary>
    /// Checks that take <c>texts="a|b"</c>, a batch: <c>tokenizer(texts, padding=…, truncation=…, max_length=…,
    /// return_tensors=…)[field]</c> prints a list of lists, or with <c>return_tensors="pt"</c> a PyTorch tensor.
    /// </summary>
    private static readonly HashSet<string> Batched = ["input_ids", "token_type_ids", "attention_mask"];

    /// <summary>The checks <c>added="a|b"</c> (<c>tokenizer.add_tokens([a, b])</c>, run first) changes.</summary>
    private static readonly HashSet<string> AfterAdding = ["add_tokens", "len", "vocab_len", "tokens"];

    /// <summary>The batch call's keyword arguments as lessons write them, with HF's values.</summary>
    private static readonly Dictionary<string, PaddingStrategy> Paddings = new()
    {
        ["true"] = PaddingStrategy.Longest, ["longest"] = PaddingStrategy.Longest, ["max_length"] = PaddingStrategy.MaxLength,
        ["false"] = PaddingStrategy.DoNotPad, ["do_not_pad"] = PaddingStrategy.DoNotPad,
    };

    private static readonly Dictionary<string, TruncationStrategy> Truncations = new()
    {
        ["true"] = TruncationStrategy.LongestFirst, ["longest_first"] = TruncationStrategy.LongestFirst,
        ["only_first"] = TruncationStrategy.OnlyFirst, ["only_second"] = TruncationStrategy.OnlySecond,
        ["false"] = TruncationStrategy.DoNotTruncate, ["do_not_truncate"] = TruncationStrategy.DoNotTruncate,
    };

    private static readonly string[] BatchArguments = ["padding", "truncation", "max_length", "return_tensors"];

    /// <summary><c>texts="a|b"</c> and <c>added="a|b"</c> list several strings, separated by <c>|</c>.</summary>
    private static string[] Several(string value) => value.Split('|');

    /// <summary>
    /// The block's checks in order: <c>check="tokens,input_ids"</c> stands for a cell that prints both, one line each,
    /// every one computed for the same <c>text</c> (and <c>pair</c>, passed as <c>tokenizer(text, pair)</c>).
    /// </summary>
    public static IReadOnlyList<string> ChecksOf(Directive output) => output["check"]!.Split(',', StringSplitOptions.TrimEntries);

    /// <summary>Why <paramref name="output"/> cannot be checked (unknown check or tokenizer, missing text), or null.</summary>
    public static string? Problem(Directive output)
    {
        var checks = ChecksOf(output);
        var batch = output["texts"] is not null;
        if (checks.Any(Embedded.Contains))
        {
            return EmbeddingProblem(output, checks);
        }
        return checks.FirstOrDefault(c => !Checks.ContainsKey(c)) is { } unknown ? $"output check '{unknown}' is unknown (checks: {string.Join(", ", Checks.Keys)})"
            : !WidgetReferences.Tokenizers.Contains(output["tokenizer"]!) ? $"output tokenizer '{output["tokenizer"]}' is not one the platform runs (tokenizers: {string.Join(", ", WidgetReferences.Tokenizers)})"
            : batch && output["text"] is not null ? "output takes text=\"…\" (one text) or texts=\"…|…\" (a batch), not both"
            : batch && checks.FirstOrDefault(c => !Batched.Contains(c)) is { } unbatched ? $"output check '{unbatched}' takes one text=\"…\", not texts (batch checks: {string.Join(", ", Batched)})"
            : !batch && BatchArguments.FirstOrDefault(a => output[a] is not null) is { } argument ? $"output attribute '{argument}' needs a batch: texts=\"…|…\""
            : output["padding"] is { } padding && !Paddings.ContainsKey(padding) ? $"output padding '{padding}' is unknown (padding: {string.Join(", ", Paddings.Keys)})"
            : output["truncation"] is { } truncation && !Truncations.ContainsKey(truncation) ? $"output truncation '{truncation}' is unknown (truncation: {string.Join(", ", Truncations.Keys)})"
            : output["max_length"] is { } maxLength && !(int.TryParse(maxLength, NumberStyles.None, CultureInfo.InvariantCulture, out var length) && length > 0) ? $"output max_length '{maxLength}' is not a positive whole number"
            : output["return_tensors"] is { } tensors && tensors != "pt" ? $"output return_tensors '{tensors}' is not checked (only \"pt\", PyTorch's tensor print)"
            : output["added"] is not null && checks.FirstOrDefault(c => !AfterAdding.Contains(c)) is { } unaffected ? $"output check '{unaffected}' does not take added tokens (checks after add_tokens: {string.Join(", ", AfterAdding)})"
            : output["added"] is null && checks.Contains("add_tokens") ? "output check 'add_tokens' needs added=\"…|…\""
            : checks.FirstOrDefault(c => !WithoutText.Contains(c)) is { } needsText && output["text"] is null && !batch ? $"output check '{needsText}' needs text=\"…\""
            : batch && output["pair"] is not null ? "output texts=\"…|…\" takes no pair"
            : output["pair"] is not null && checks.FirstOrDefault(WithoutPair.Contains) is { } single ? $"output check '{single}' takes no pair (it does not call tokenizer(text, pair))"
            : null;
    }

    private static string? EmbeddingProblem(Directive output, IReadOnlyList<string> checks) =>
        checks.FirstOrDefault(c => !Embedded.Contains(c)) is { } other ? $"output check '{other}' cannot share a block with the embedding checks ({string.Join(", ", Embedded)})"
        : PackagedModels.All.All(m => m.Id != output["tokenizer"]) ? $"output embedding checks run a model: tokenizer=\"…\" must name a packaged sentence-embedding checkpoint ({string.Join(", ", PackagedModels.All.Select(m => m.Id))})"
        : output["texts"] is not { } texts ? "output embedding checks need texts=\"…|…\" (the sentences to embed)"
        : checks.Contains("cosine_similarity") && Several(texts).Length < 2 ? "output check 'cosine_similarity' compares the first of texts with the others: give two texts or more"
        : output.Attributes.Keys.FirstOrDefault(a => a is not ("check" or "tokenizer" or "texts")) is { } extra ? $"output attribute '{extra}' does not apply to embedding checks (they pad and truncate as sentence-transformers does)"
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

    /// <summary>What Python prints for the block's computations, one line per check.</summary>
    public string Compute(Directive output)
    {
        if (ChecksOf(output).Any(Embedded.Contains))
        {
            return Embeddings(output);
        }
        var tokenizer = AutoTokenizer.FromPretrained(output["tokenizer"]!, hub);
        if (output["texts"] is { } texts)
        {
            return Batch(tokenizer, output, Several(texts));
        }
        var added = output["added"] is { } tokens ? Several(tokens) : [];
        if (added.FirstOrDefault(t => tokenizer.TokenToId(t) is not null) is { } known)
        {
            // tokenizers counts such a token in add_tokens' result but len(tokenizer) does not grow: versions differ.
            return $"(not checked: added token {PythonRepr.Str(known)} is already in the vocabulary)";
        }
        added = added.Where(t => t.Length > 0).Distinct().ToArray();
        var text = output["text"] ?? "";
        var encoding = new Lazy<Course.Ml.Tokenization.Encoding>(() => tokenizer.Encode(text, output["pair"]));
        string[] Tokens() => Split(text, added).SelectMany(piece => added.Contains(piece) ? [piece]
            : tokenizer.Encode(piece, options: new TokenizerOptions { AddSpecialTokens = false }).Tokens).ToArray();
        var length = tokenizer.Vocabulary().Count() + added.Length;
        return string.Join('\n', ChecksOf(output).Select(check => check switch
        {
            "tokens" => PythonRepr.List(Tokens().Select(PythonRepr.Str)),
            "token_ids" => PythonRepr.List(Tokens().Select(t => PythonRepr.Int(tokenizer.TokenToId(t)!.Value))),
            "input_ids" => PythonRepr.List(encoding.Value.InputIds.Select(PythonRepr.Int)),
            "token_type_ids" => encoding.Value.TokenTypeIds is { } types ? PythonRepr.List(types.Select(PythonRepr.Int)) : "KeyError: 'token_type_ids'",
            "attention_mask" => PythonRepr.List(encoding.Value.AttentionMask.Select(PythonRepr.Int)),
            "ids_to_tokens" => PythonRepr.List(encoding.Value.Tokens.Select(PythonRepr.Str)),
            "word_ids" => PythonRepr.List(encoding.Value.WordIds.Select(w => w is { } id ? PythonRepr.Int(id) : "None")),
            "offset_mapping" => PythonRepr.List(encoding.Value.OffsetMapping.Select(o => $"({PythonRepr.Int(o.Start)}, {PythonRepr.Int(o.End)})")),
            "encoding" => Encoding(encoding.Value),
            "decode" => tokenizer.Decode(encoding.Value.InputIds),
            "decode_skip_special" => tokenizer.Decode(encoding.Value.InputIds, skipSpecialTokens: true),
            "vocab_size" => PythonRepr.Int(tokenizer.VocabSize),
            "model_max_length" => PythonRepr.Int(tokenizer.ModelMaxLength),
            "vocab_len" or "len" => PythonRepr.Int(length),
            "add_tokens" => PythonRepr.Int(added.Length),
            _ => throw new ArgumentException($"unknown output check '{check}'"),
        }));
    }

    /// <summary>
    /// The text cut at the added tokens, which HF matches before its pre-tokenizer runs (the longest at a position
    /// first); matched on the text as written, which is what the normalized match gives for the emoji and
    /// lower-case words lessons add.
    /// </summary>
    private static IEnumerable<string> Split(string text, string[] added)
    {
        var start = 0;
        for (var i = 0; i < text.Length;)
        {
            if (added.Where(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0).MaxBy(t => t.Length) is { } token)
            {
                if (i > start)
                {
                    yield return text[start..i];
                }
                yield return token;
                i += token.Length;
                start = i;
            }
            else
            {
                i++;
            }
        }
        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    /// <summary>The embedding checks: the texts embedded in one padded batch on the CPU, as a notebook would.</summary>
    private string Embeddings(Directive output)
    {
        var texts = Several(output["texts"]!);
        using var pipeline = SentenceEmbeddingPipeline.FromPretrained(output["tokenizer"]!, hub, TorchSharp.torch.CPU);
        var embeddings = pipeline.Encode(texts, batchSize: texts.Length);
        return string.Join('\n', ChecksOf(output).Select(check => check switch
        {
            "embedding_shape" => $"torch.Size([{PythonRepr.Int(texts.Length)}, {PythonRepr.Int(pipeline.Dimension)}])",
            "cosine_similarity" => PythonRepr.List(embeddings.Skip(1).Select(e =>
                PythonRepr.Float(Math.Round((double)SentenceEmbeddingPipeline.CosineSimilarity(embeddings[0], e), 4, MidpointRounding.ToEven)))),
            _ => throw new ArgumentException($"unknown output check '{check}'"),
        }));
    }

    /// <summary>PyTorch summarizes tensors with more elements than this (<c>torch.set_printoptions(threshold=1000)</c>).</summary>
    private const int TensorThreshold = 1000;

    /// <summary>A batch field: <c>tokenizer(texts, …)[field]</c> as a list of lists, or as a tensor with <c>return_tensors="pt"</c>.</summary>
    private static string Batch(PreTrainedTokenizer tokenizer, Directive output, string[] texts)
    {
        var options = new TokenizerOptions
        {
            Padding = output["padding"] is { } padding ? Paddings[padding] : PaddingStrategy.DoNotPad,
            Truncation = output["truncation"] is { } truncation ? Truncations[truncation] : TruncationStrategy.DoNotTruncate,
            MaxLength = output["max_length"] is { } maxLength ? int.Parse(maxLength, CultureInfo.InvariantCulture) : null,
        };
        var encodings = tokenizer.EncodeBatch(texts, options: options).Encodings;
        var tensor = output["return_tensors"] == "pt";
        return string.Join('\n', ChecksOf(output).Select(check =>
        {
            int[][]? rows = check switch
            {
                "input_ids" => encodings.Select(e => e.InputIds).ToArray(),
                "attention_mask" => encodings.Select(e => e.AttentionMask).ToArray(),
                "token_type_ids" => encodings.All(e => e.TokenTypeIds is not null) ? encodings.Select(e => e.TokenTypeIds!).ToArray() : null,
                _ => throw new ArgumentException($"output check '{check}' takes no batch"),
            };
            return rows is null ? "KeyError: 'token_type_ids'"
                : !tensor ? PythonRepr.List(rows.Select(row => PythonRepr.List(row.Select(PythonRepr.Int))))
                : rows.Select(row => row.Length).Distinct().Count() > 1 ? "(not checked: return_tensors=\"pt\" needs rows of one length; PyTorch raises a ValueError without padding)"
                : rows.Sum(row => row.Length) > TensorThreshold ? $"(not checked: PyTorch summarizes a tensor of more than {TensorThreshold} values)"
                : PythonRepr.Tensor(rows);
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

    /// <summary>A float as Python's <c>repr</c>: the shortest text that reads back as the same double, with ".0" on whole numbers.</summary>
    public static string Float(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    /// <summary>
    /// <c>print</c> of a 2-D int64 tensor (the default integer dtype, which PyTorch leaves out), laid out as
    /// <c>torch/_tensor_str.py</c> does: every value right-aligned to the widest, and a row wrapped after as many
    /// values as fit in 80 columns behind its indent.
    /// </summary>
    public static string Tensor(IReadOnlyList<IReadOnlyList<int>> rows)
    {
        const int lineWidth = 80;
        const string prefix = "tensor(";
        var indent = prefix.Length + 1;
        var width = rows.SelectMany(row => row).Select(v => Int(v).Length).DefaultIfEmpty(0).Max();
        var perLine = Math.Max(1, (lineWidth - indent) / (width + 2));
        string Row(IReadOnlyList<int> row) => "[" + string.Join(",\n" + new string(' ', indent + 1),
            row.Select(v => Int(v).PadLeft(width)).Chunk(perLine).Select(line => string.Join(", ", line))) + "]";
        return prefix + "[" + string.Join(",\n" + new string(' ', indent), rows.Select(Row)) + "])";
    }

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
