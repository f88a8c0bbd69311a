using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Course.Ml.Data;

/// <summary>Word-length statistics of one split.</summary>
public sealed record LengthStats(int Min, double Mean, int Median, int Max);

/// <summary>
/// Rows of one split that share a data-quality problem: <see cref="Kind"/> (one of <see cref="DataFindings"/>), how many
/// rows, and the row numbers (1-based: the line numbers of a JSON Lines file without blank lines) of the first
/// <see cref="DatasetReport.ExampleLines"/>.
/// </summary>
public sealed record DataFinding(string Kind, int Rows, IReadOnlyList<int> Lines);

/// <summary>The kinds of <see cref="DataFinding"/>, and what each means.</summary>
public static class DataFindings
{
    /// <summary>The row's text is character for character an earlier row's in the same split.</summary>
    public const string ExactDuplicate = "exact_duplicate";

    /// <summary>The row repeats an earlier row of the split once case, punctuation and spacing are ignored, but not exactly.</summary>
    public const string NearDuplicate = "near_duplicate";

    /// <summary>The row's text is character for character a row's in another split (train rows that repeat validation rows inflate the validation score).</summary>
    public const string ExactDuplicateAcrossSplits = "exact_duplicate_across_splits";

    /// <summary>The row repeats a row of another split once case, punctuation and spacing are ignored, but not exactly.</summary>
    public const string NearDuplicateAcrossSplits = "near_duplicate_across_splits";

    /// <summary>The row's (normalised) text occurs elsewhere in the dataset with another label or other tags: at least one of them is wrong.</summary>
    public const string ConflictingLabels = "conflicting_labels";

    /// <summary>No text, or nothing but whitespace and HTML tags.</summary>
    public const string Empty = "empty";

    /// <summary>HTML tags (<c>&lt;br /&gt;</c>, <c>&lt;p&gt;</c>) or character entities (<c>&amp;amp;</c>, <c>&amp;#39;</c>) left from a web page or e-mail.</summary>
    public const string Html = "html";

    /// <summary>A URL (http://, https://, www.).</summary>
    public const string Url = "url";

    /// <summary>More tokens than <c>max_seq_length</c>, special tokens included: truncation drops the rest.</summary>
    public const string OverMaxSeqLength = "over_max_seq_length";

    /// <summary>NER tags that open an entity with I- (IOB1), where IOB2 opens every entity with B-.</summary>
    public const string Iob1Tags = "iob1_tags";

    /// <summary>Every kind, in the order a report lists them.</summary>
    public static readonly IReadOnlyList<string> All =
        [ExactDuplicate, NearDuplicate, ExactDuplicateAcrossSplits, NearDuplicateAcrossSplits, ConflictingLabels, Empty, Html, Url, OverMaxSeqLength, Iob1Tags];
}

/// <summary>
/// One split's figures. <see cref="LabelScheme"/> (NER only): <c>IOB2</c> when every entity opens with B-, <c>IOB1</c>
/// when entities open with I- and B- only separates two adjacent entities of one type, <c>mixed</c> otherwise.
/// </summary>
public sealed record SplitReport(
    int Rows,
    LengthStats Words,
    double Distinct1,
    double Distinct2,
    IReadOnlyDictionary<string, int> Labels,
    int DuplicatesWithinSplit,
    IReadOnlyList<DataFinding> Findings,
    string? LabelScheme,
    IReadOnlyList<string> Problems);

/// <summary>How many tokens a row becomes, and the most a model takes: what <see cref="DataFindings.OverMaxSeqLength"/> is judged by.</summary>
public sealed record TokenLength(Func<Row, int> Count, int MaxSeqLength)
{
    /// <summary>
    /// Rows as <paramref name="tokenizer"/> encodes them, special tokens included: NER words with <c>EncodeWords</c>, a
    /// classification text with <c>Encode</c>. QA rows are not judged (their contexts are windowed, never truncated).
    /// </summary>
    public static TokenLength Of(Tokenization.PreTrainedTokenizer tokenizer, int maxSeqLength) => new(row =>
        row.GetValueOrDefault("tokens") is string[] words ? tokenizer.EncodeWords(words).Length
        : (row.GetValueOrDefault("text") as string ?? row.GetValueOrDefault("sentence") as string) is { } text ? tokenizer.Encode(text).Length
        : 0, maxSeqLength);
}

/// <summary>
/// What <c>./course datasets report</c> prints: per split its size, lengths, lexical variety (distinct-1/-2:
/// unique n-grams over all n-grams, low values flag templated text), label distribution (classes, entity
/// types, or QA answer presence), duplicates inside a split and across splits (normalised text: case,
/// punctuation and spacing ignored, so a copied row with a changed comma still counts), the data-quality
/// <see cref="DataFindings"/> a student's <c>preprocessing:</c> can act on, and row problems such as QA answers
/// not found at their <c>answer_start</c>.
/// </summary>
public sealed partial record DatasetReport(string Name, IReadOnlyDictionary<string, SplitReport> Splits, int DuplicatesAcrossSplits)
{
    /// <summary>How many line numbers a finding lists: enough to open the file at them, not a copy of it.</summary>
    public const int ExampleLines = 5;

    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.NonBacktracking)]
    private static partial Regex Word();

    /// <summary>A character entity (<c>&amp;amp;</c>, <c>&amp;#39;</c>, <c>&amp;#x27;</c>): what <c>strip_html</c> decodes.</summary>
    [GeneratedRegex(@"&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);", RegexOptions.NonBacktracking)]
    private static partial Regex Entity();

    /// <param name="tokens">With it, rows over <see cref="TokenLength.MaxSeqLength"/> are a finding too.</param>
    public static DatasetReport Create(string name, IReadOnlyDictionary<string, Dataset> splits, TokenLength? tokens = null)
    {
        var normalised = splits.ToDictionary(s => s.Key, s => s.Value.Select(DuplicateKey).ToList());
        var exact = splits.ToDictionary(s => s.Key, s => s.Value.Select(TextOf).ToList());
        // Every label a normalised text carries anywhere in the dataset: more than one means a conflict.
        var labelsOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (split, rows) in splits)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                if (LabelKey(rows[i]) is { } label && normalised[split][i].Length > 0)
                {
                    (labelsOf.TryGetValue(normalised[split][i], out var set) ? set : labelsOf[normalised[split][i]] = []).Add(label);
                }
            }
        }
        var reports = splits.ToDictionary(s => s.Key, s =>
        {
            var others = splits.Keys.Where(k => k != s.Key).ToList();
            var otherExact = others.SelectMany(k => exact[k]).ToHashSet(StringComparer.Ordinal);
            var otherNormalised = others.SelectMany(k => normalised[k]).ToHashSet(StringComparer.Ordinal);
            return Split(s.Value, exact[s.Key], normalised[s.Key], otherExact, otherNormalised, labelsOf, tokens);
        });
        var seen = new Dictionary<string, string>();
        var across = 0;
        foreach (var (split, texts) in normalised)
        {
            foreach (var text in texts.Distinct())
            {
                if (seen.TryGetValue(text, out var other) && other != split)
                {
                    across++;
                }
                seen.TryAdd(text, split);
            }
        }
        return new DatasetReport(name, reports, across);
    }

    private static SplitReport Split(Dataset rows, List<string> exact, List<string> normalised, HashSet<string> otherExact, HashSet<string> otherNormalised,
        Dictionary<string, HashSet<string>> labelsOf, TokenLength? tokens)
    {
        var words = rows.Select(r => Word().Matches(TextOf(r)).Select(m => m.Value.ToLowerInvariant()).ToList()).ToList();
        var lengths = words.Select(w => w.Count).Order().ToList();
        double Distinct(int n)
        {
            var grams = words.SelectMany(w => Enumerable.Range(0, Math.Max(0, w.Count - n + 1)).Select(i => string.Join(' ', w.Skip(i).Take(n)))).ToList();
            return grams.Count == 0 ? 0 : Math.Round((double)grams.Distinct().Count() / grams.Count, 4);
        }

        var findings = new Dictionary<string, List<int>>();
        void Find(string kind, int index) => (findings.TryGetValue(kind, out var lines) ? lines : findings[kind] = []).Add(index + 1);
        var (seenExact, seenNormalised) = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
        var schemes = new HashSet<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (IsEmpty(exact[i]))
            {
                Find(DataFindings.Empty, i);
            }
            else
            {
                // Empty rows repeat each other trivially; they are counted once, as empty.
                if (!seenExact.Add(exact[i])) Find(DataFindings.ExactDuplicate, i);
                else if (!seenNormalised.Add(normalised[i])) Find(DataFindings.NearDuplicate, i);
                if (otherExact.Contains(exact[i])) Find(DataFindings.ExactDuplicateAcrossSplits, i);
                else if (otherNormalised.Contains(normalised[i])) Find(DataFindings.NearDuplicateAcrossSplits, i);
                if (labelsOf.TryGetValue(normalised[i], out var labels) && labels.Count > 1) Find(DataFindings.ConflictingLabels, i);
            }
            if (DataPreparation.HtmlTag().IsMatch(exact[i]) || Entity().IsMatch(exact[i])) Find(DataFindings.Html, i);
            if (DataPreparation.Url().IsMatch(exact[i])) Find(DataFindings.Url, i);
            if (tokens is not null && tokens.Count(row) > tokens.MaxSeqLength) Find(DataFindings.OverMaxSeqLength, i);
            if (row.GetValueOrDefault("ner_tags") is string[] tags && Scheme(tags) is { } scheme)
            {
                schemes.Add(scheme);
                if (scheme != "IOB2") Find(DataFindings.Iob1Tags, i);
            }
        }
        var hasTags = rows.Any(r => r.GetValueOrDefault("ner_tags") is string[]);
        return new SplitReport(
            rows.Count,
            lengths.Count == 0 ? new LengthStats(0, 0, 0, 0) : new LengthStats(lengths[0], Math.Round(lengths.Average(), 1), lengths[lengths.Count / 2], lengths[^1]),
            Distinct(1),
            Distinct(2),
            Labels(rows),
            normalised.Count - normalised.Distinct().Count(),
            DataFindings.All.Where(findings.ContainsKey).Select(kind => new DataFinding(kind, findings[kind].Count, findings[kind].Take(ExampleLines).ToList())).ToList(),
            !hasTags ? null : schemes.Count == 0 ? "IOB2" : schemes.Count == 1 ? schemes.Single() : "mixed",
            rows.Select(Problem).OfType<string>().ToList());
    }

    /// <summary>Blank, or nothing but whitespace and HTML tags (a row whose text is <c>&lt;br /&gt;</c>).</summary>
    private static bool IsEmpty(string text) => string.IsNullOrWhiteSpace(DataPreparation.HtmlTag().Replace(text, ""));

    /// <summary>
    /// IOB1 when the row opens an entity with I- (at the start, after O, or after another type) and every B- follows
    /// an entity of its own type; IOB2 when every entity opens with B-; "mixed" when it has both openings; null without entities.
    /// </summary>
    private static string? Scheme(string[] tags)
    {
        var (iOpens, bOpens) = (false, false);
        for (var i = 0; i < tags.Length; i++)
        {
            var previous = i == 0 ? "O" : tags[i - 1];
            var afterSameType = previous.Length > 2 && tags[i].Length > 2 && previous[2..] == tags[i][2..];
            iOpens |= tags[i].StartsWith("I-", StringComparison.Ordinal) && !afterSameType;
            bOpens |= tags[i].StartsWith("B-", StringComparison.Ordinal) && !afterSameType;
        }
        return iOpens && bOpens ? "mixed" : iOpens ? "IOB1" : bOpens ? "IOB2" : null;
    }

    /// <summary>
    /// A row's label as one string for conflict checks: the class, or the NER entities as type and normalised words
    /// (so an IOB1 copy, or one with a full stop dropped, agrees with its IOB2 original).
    /// </summary>
    private static string? LabelKey(Row row)
    {
        if (row.GetValueOrDefault("tokens") is not string[] tokens || row.GetValueOrDefault("ner_tags") is not string[] tags || tokens.Length != tags.Length)
        {
            return row.GetValueOrDefault("label") is { } label ? Convert.ToString(label, CultureInfo.InvariantCulture) : null;
        }
        var iob2 = DataPreparation.Iob1ToIob2(tags);
        var entities = new StringBuilder();
        for (var i = 0; i < iob2.Length; i++)
        {
            if (iob2[i].StartsWith("B-", StringComparison.Ordinal)) entities.Append('|').Append(iob2[i][2..]).Append(':');
            if (iob2[i] != "O") entities.Append(Normalise(tokens[i]));
        }
        return entities.ToString();
    }

    /// <summary>What two rows share when one duplicates the other: the row's text, case, punctuation and spacing ignored.</summary>
    public static string DuplicateKey(Row row) => Normalise(TextOf(row));

    /// <summary>The row's text: classification text, NER tokens, or QA question + context.</summary>
    private static string TextOf(Row row) =>
        row.GetValueOrDefault("text") as string ?? row.GetValueOrDefault("sentence") as string
        ?? (row.GetValueOrDefault("tokens") is string[] tokens ? string.Join(' ', tokens) : null)
        ?? $"{row.GetValueOrDefault("question")} {row.GetValueOrDefault("context")}";

    /// <summary>The label distribution: classes, entity types (counted where an entity opens, in IOB1 or IOB2), or QA answer presence.</summary>
    public static IReadOnlyDictionary<string, int> Labels(IEnumerable<Row> rows)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void Count(string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
        foreach (var row in rows)
        {
            if (row.GetValueOrDefault("label") is { } label)
            {
                Count(Convert.ToString(label, CultureInfo.InvariantCulture)!);
            }
            else if (row.GetValueOrDefault("ner_tags") is string[] tags)
            {
                // Read as IOB2, so an IOB1 entity (opened by I-) counts too.
                foreach (var tag in DataPreparation.Iob1ToIob2(tags).Where(t => t.StartsWith("B-", StringComparison.Ordinal)))
                {
                    Count(tag[2..]);
                }
            }
            else if (row.GetValueOrDefault("answers") is Dictionary<string, object?> answers)
            {
                Count(answers.GetValueOrDefault("text") is string[] { Length: > 0 } ? "answerable" : "unanswerable");
            }
        }
        return counts;
    }

    /// <summary>A QA answer that is not at its answer_start, or NER rows whose tags do not match their tokens.</summary>
    private static string? Problem(Row row)
    {
        if (row.GetValueOrDefault("answers") is Dictionary<string, object?> answers && row.GetValueOrDefault("context") is string context
            && answers.GetValueOrDefault("text") is string[] texts && answers.GetValueOrDefault("answer_start") is long[] starts)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                if (i >= starts.Length || starts[i] < 0 || starts[i] + texts[i].Length > context.Length
                    || string.CompareOrdinal(context, (int)starts[i], texts[i], 0, texts[i].Length) != 0)
                {
                    return $"{row.GetValueOrDefault("id")}: answer '{texts[i]}' is not at answer_start {(i < starts.Length ? starts[i] : -1)}";
                }
            }
        }
        if (row.GetValueOrDefault("tokens") is string[] tokens && row.GetValueOrDefault("ner_tags") is string[] tags && tokens.Length != tags.Length)
        {
            return $"'{string.Join(' ', tokens.Take(6))} …': {tokens.Length} tokens but {tags.Length} tags";
        }
        return null;
    }

    /// <summary>The text in lower case with punctuation and spacing dropped: what <c>deduplicate: normalized</c> compares too.</summary>
    public static string Normalise(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Match match in Word().Matches(text))
        {
            builder.Append(match.Value.ToLowerInvariant()).Append(' ');
        }
        return builder.ToString();
    }
}
