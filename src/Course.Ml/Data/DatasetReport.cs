using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Course.Ml.Data;

/// <summary>Word-length statistics of one split.</summary>
public sealed record LengthStats(int Min, double Mean, int Median, int Max);

public sealed record SplitReport(
    int Rows,
    LengthStats Words,
    double Distinct1,
    double Distinct2,
    IReadOnlyDictionary<string, int> Labels,
    int DuplicatesWithinSplit,
    IReadOnlyList<string> Problems);

/// <summary>
/// What <c>./course datasets report</c> prints: per split its size, lengths, lexical variety (distinct-1/-2:
/// unique n-grams over all n-grams, low values flag templated text), label distribution (classes, entity
/// types, or QA answer presence), duplicates inside a split and across splits (normalised text: case,
/// punctuation and spacing ignored, so a copied row with a changed comma still counts), and row problems
/// such as QA answers not found at their <c>answer_start</c>.
/// </summary>
public sealed partial record DatasetReport(string Name, IReadOnlyDictionary<string, SplitReport> Splits, int DuplicatesAcrossSplits)
{
    [GeneratedRegex(@"[\p{L}\p{N}]+", RegexOptions.NonBacktracking)]
    private static partial Regex Word();

    public static DatasetReport Create(string name, IReadOnlyDictionary<string, Dataset> splits)
    {
        var normalised = splits.ToDictionary(s => s.Key, s => s.Value.Select(DuplicateKey).ToList());
        var reports = splits.ToDictionary(s => s.Key, s => Split(s.Value, normalised[s.Key]));
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

    private static SplitReport Split(Dataset rows, List<string> normalised)
    {
        var words = rows.Select(r => Word().Matches(TextOf(r)).Select(m => m.Value.ToLowerInvariant()).ToList()).ToList();
        var lengths = words.Select(w => w.Count).Order().ToList();
        double Distinct(int n)
        {
            var grams = words.SelectMany(w => Enumerable.Range(0, Math.Max(0, w.Count - n + 1)).Select(i => string.Join(' ', w.Skip(i).Take(n)))).ToList();
            return grams.Count == 0 ? 0 : Math.Round((double)grams.Distinct().Count() / grams.Count, 4);
        }
        return new SplitReport(
            rows.Count,
            lengths.Count == 0 ? new LengthStats(0, 0, 0, 0) : new LengthStats(lengths[0], Math.Round(lengths.Average(), 1), lengths[lengths.Count / 2], lengths[^1]),
            Distinct(1),
            Distinct(2),
            Labels(rows),
            normalised.Count - normalised.Distinct().Count(),
            rows.Select(Problem).OfType<string>().ToList());
    }

    /// <summary>What two rows share when one duplicates the other: the row's text, case, punctuation and spacing ignored.</summary>
    public static string DuplicateKey(Row row) => Normalise(TextOf(row));

    /// <summary>The row's text: classification text, NER tokens, or QA question + context.</summary>
    private static string TextOf(Row row) =>
        row.GetValueOrDefault("text") as string ?? row.GetValueOrDefault("sentence") as string
        ?? (row.GetValueOrDefault("tokens") is string[] tokens ? string.Join(' ', tokens) : null)
        ?? $"{row.GetValueOrDefault("question")} {row.GetValueOrDefault("context")}";

    /// <summary>The label distribution: classes, entity types (counted at their B- tag), or QA answer presence.</summary>
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
                foreach (var tag in tags.Where(t => t.StartsWith("B-", StringComparison.Ordinal)))
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
