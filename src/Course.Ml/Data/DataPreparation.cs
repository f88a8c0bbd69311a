using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Course.Ml.Training;

namespace Course.Ml.Data;

/// <summary>What data preparation did to the training rows, for the training log and the dataset report.</summary>
public sealed record PreparationSummary(
    int TrainRows,
    int ValidationRowsAdded,
    int Cleaned,
    int Relabeled,
    int Empty,
    int TooLong,
    int Duplicates,
    int DuplicatesOfValidation,
    int Oversampled,
    int Undersampled,
    int Rows)
{
    /// <summary>One line: the rows in, each step that changed something, the rows trained on.</summary>
    public override string ToString()
    {
        var steps = new List<string>();
        void Add(int count, string what)
        {
            if (count > 0) steps.Add($"{what}: {count}");
        }
        Add(Cleaned, "text cleaned");
        Add(Relabeled, "relabeled");
        Add(Empty, "empty dropped");
        Add(TooLong, "over max_characters dropped");
        Add(Duplicates, "duplicates dropped");
        Add(DuplicatesOfValidation, "repeats of validation rows dropped");
        Add(Oversampled, "added by oversampling");
        Add(Undersampled, "dropped by undersampling");
        var added = ValidationRowsAdded > 0 ? $" + {ValidationRowsAdded} validation rows" : "";
        return $"data preparation: {TrainRows} train rows{added} → {Rows} training rows" + (steps.Count > 0 ? $" ({string.Join(", ", steps)})" : "");
    }
}

/// <summary>The splits a run uses after preparation: the rows it trains on, and validation and test with their text cleaned.</summary>
public sealed record PreparedData(Dataset Train, Dataset Validation, Dataset? Test, PreparationSummary Summary);

/// <summary>
/// The <c>preprocessing:</c> block applied to a run's splits, the one place <c>./course train</c>, <c>./course grade</c>
/// and the grading workers prepare data (all three go through <see cref="FineTuning.Run"/>). In this order:
/// <list type="number">
/// <item><c>clean_text</c> on every split (a model is evaluated on text cleaned as its training text was);</item>
/// <item><c>train_splits: train+validation</c> adds the validation rows to the training rows;</item>
/// <item>on the training rows only (evaluation keeps its gold labels, so scores stay comparable):
/// <c>label_scheme: iob1</c> → IOB2, <c>label_mapping</c>, <c>drop_empty</c>, <c>max_characters</c>,
/// <c>deduplicate</c> (the first of each repeated text stays; with validation held out, training rows that repeat a
/// validation row go too), and last <c>class_balancing</c>, seeded by <c>training_args.seed</c>.</item>
/// </list>
/// <c>truncation</c> applies when the text is tokenized (<see cref="Preprocessing.EncodeText"/>).
/// </summary>
public static partial class DataPreparation
{
    /// <summary>What <c>strip_html</c> removes (and <see cref="DatasetReport"/> finds).</summary>
    [GeneratedRegex(@"<[A-Za-z/!][^<>]*>", RegexOptions.NonBacktracking)]
    internal static partial Regex HtmlTag();

    /// <summary>What <c>strip_urls</c> removes (and <see cref="DatasetReport"/> finds).</summary>
    [GeneratedRegex(@"(?:https?://|www\.)[^\s<>""]+", RegexOptions.NonBacktracking | RegexOptions.IgnoreCase)]
    internal static partial Regex Url();

    [GeneratedRegex(@"\s+", RegexOptions.NonBacktracking)]
    private static partial Regex Whitespace();

    public static PreparedData Prepare(TrainingConfig config, Dataset train, Dataset validation, Dataset? test = null)
    {
        var p = config.Preprocessing;
        var text = TextColumn(config, train);
        var cleaned = 0;
        Dataset Clean(Dataset data, bool count) => p.CleanText is { Count: > 0 } steps ? data.Map(row =>
        {
            if (row.GetValueOrDefault(text) is not string original)
            {
                return row;
            }
            var clean = CleanText(original, steps);
            cleaned += count && clean != original ? 1 : 0;
            return new Row(row) { [text] = clean };
        }) : data;
        train = Clean(train, count: true);
        validation = Clean(validation, count: false);
        test = test is null ? null : Clean(test, count: false);

        var rows = p.TrainsOnValidation ? train.Concat(validation).ToList() : train.ToList();
        var relabeled = 0;
        rows = rows.Select(row =>
        {
            var relabeledRow = Relabel(config, row);
            relabeled += ReferenceEquals(relabeledRow, row) ? 0 : 1;
            return relabeledRow;
        }).ToList();

        var before = rows.Count;
        if (p.DropEmpty)
        {
            rows = rows.Where(row => !IsEmpty(config, text, row)).ToList();
        }
        var empty = before - rows.Count;
        before = rows.Count;
        if (p.MaxCharacters is { } max)
        {
            rows = rows.Where(row => TextOf(config, text, row).Length <= max).ToList();
        }
        var tooLong = before - rows.Count;

        var (duplicates, ofValidation) = (0, 0);
        if (p.Deduplicate is { } mode)
        {
            string Key(Row row) => mode == "exact" ? TextOf(config, text, row) : DatasetReport.Normalise(TextOf(config, text, row));
            HashSet<string> validationKeys = p.TrainsOnValidation ? [] : validation.Select(Key).ToHashSet(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var kept = new List<Row>();
            foreach (var row in rows)
            {
                var key = Key(row);
                if (validationKeys.Contains(key)) ofValidation++;
                else if (!seen.Add(key)) duplicates++;
                else kept.Add(row);
            }
            rows = kept;
        }

        var (oversampled, undersampled) = (0, 0);
        if (p.ClassBalancing is { } balancing)
        {
            before = rows.Count;
            rows = Balance(rows, row => LabelText(row, LabelColumn(config)) ?? "", balancing, config.TrainingArgs.Seed);
            (oversampled, undersampled) = (Math.Max(0, rows.Count - before), Math.Max(0, before - rows.Count));
        }
        var summary = new PreparationSummary(train.Count, p.TrainsOnValidation ? validation.Count : 0, cleaned, relabeled, empty, tooLong,
            duplicates, ofValidation, oversampled, undersampled, rows.Count);
        return new PreparedData(new Dataset(rows), validation, test, summary);
    }

    /// <summary>
    /// The <c>clean_text</c> steps, always in this order whatever order they are listed in: NFKC Unicode normalization
    /// (full-width letters, ligatures and no-break spaces become their plain forms), HTML tags replaced by a space and
    /// entities decoded, URLs (http://, https://, www.) removed, runs of whitespace collapsed to one space and trimmed.
    /// </summary>
    public static string CleanText(string text, IReadOnlyCollection<string> steps)
    {
        if (steps.Contains("normalize_unicode")) text = text.Normalize(NormalizationForm.FormKC);
        if (steps.Contains("strip_html")) text = WebUtility.HtmlDecode(HtmlTag().Replace(text, " "));
        if (steps.Contains("strip_urls")) text = Url().Replace(text, "");
        if (steps.Contains("normalize_whitespace")) text = Whitespace().Replace(text, " ").Trim();
        return text;
    }

    /// <summary>IOB1 tags (I- may open an entity; B- only separates two adjacent entities of one type) as IOB2 (every entity opens with B-).</summary>
    public static string[] Iob1ToIob2(IReadOnlyList<string> tags)
    {
        var converted = new string[tags.Count];
        for (var i = 0; i < tags.Count; i++)
        {
            var opens = tags[i].StartsWith("I-", StringComparison.Ordinal)
                && (i == 0 || tags[i - 1] == "O" || tags[i - 1].Length < 2 || tags[i - 1][2..] != tags[i][2..]);
            converted[i] = opens ? "B-" + tags[i][2..] : tags[i];
        }
        return converted;
    }

    /// <summary>
    /// Equal class counts: <c>oversample</c> draws extra rows of each smaller class (with replacement) up to the
    /// largest class's count and appends them; <c>undersample</c> keeps a random subset of each larger class at the
    /// smallest class's count, in the original order. Classes are visited in ordinal label order with one
    /// <see cref="Random"/> seeded by <paramref name="seed"/>, so the same seed gives the same rows everywhere.
    /// </summary>
    public static List<Row> Balance(IReadOnlyList<Row> rows, Func<Row, string> labelOf, string mode, int seed)
    {
        var classes = Enumerable.Range(0, rows.Count).GroupBy(i => labelOf(rows[i])).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        if (classes.Count == 0)
        {
            return [.. rows];
        }
        var random = new Random(seed);
        if (mode == "oversample")
        {
            var target = classes.Max(c => c.Count);
            var extra = classes.SelectMany(c => Enumerable.Range(0, target - c.Count).Select(_ => rows[c[random.Next(c.Count)]])).ToList();
            return [.. rows, .. extra];
        }
        var smallest = classes.Min(c => c.Count);
        var kept = new HashSet<int>();
        foreach (var members in classes)
        {
            var order = members.ToArray();
            random.Shuffle(order);
            kept.UnionWith(order.Take(smallest));
        }
        return Enumerable.Range(0, rows.Count).Where(kept.Contains).Select(i => rows[i]).ToList();
    }

    /// <summary>The text column of text-classification and fill-mask: <c>text_column_name</c>, else <c>sentence</c> when the data has it, else <c>text</c>.</summary>
    public static string TextColumn(TrainingConfig config, Dataset data) => config.TextColumnName
        ?? (config.Task == "token-classification" ? "tokens" : data.ColumnNames.Contains("sentence") ? "sentence" : "text");

    /// <summary>The label column: <c>label_column_name</c>, else <c>ner_tags</c> for token classification and <c>label</c> otherwise.</summary>
    public static string LabelColumn(TrainingConfig config) => config.LabelColumnName ?? (config.Task == "token-classification" ? "ner_tags" : "label");

    /// <summary>A classification row's label as text (labels may be written as numbers); null when the row has none.</summary>
    public static string? LabelText(Row row, string labelColumn) => Convert.ToString(row.GetValueOrDefault(labelColumn), CultureInfo.InvariantCulture);

    /// <summary>What empty rows, over-long rows and duplicates are judged by: the text, the NER tokens joined by spaces, or QA question and context.</summary>
    private static string TextOf(TrainingConfig config, string text, Row row) => config.Task switch
    {
        "token-classification" => string.Join(' ', row.GetValueOrDefault(text) as string[] ?? []),
        "question-answering" => $"{row.GetValueOrDefault("question")}\n{row.GetValueOrDefault("context")}",
        _ => row.GetValueOrDefault(text) as string ?? "",
    };

    private static bool IsEmpty(TrainingConfig config, string text, Row row) => config.Task switch
    {
        "question-answering" => string.IsNullOrWhiteSpace(row.GetValueOrDefault("question") as string) || string.IsNullOrWhiteSpace(row.GetValueOrDefault("context") as string),
        "text-classification" => string.IsNullOrWhiteSpace(TextOf(config, text, row)) || string.IsNullOrWhiteSpace(LabelText(row, LabelColumn(config))),
        _ => string.IsNullOrWhiteSpace(TextOf(config, text, row)),
    };

    /// <summary>The row with its labels converted (label_scheme) and renamed (label_mapping); the same row object when nothing changed.</summary>
    private static Row Relabel(TrainingConfig config, Row row)
    {
        var p = config.Preprocessing;
        var column = LabelColumn(config);
        string Map(string label) => p.LabelMapping?.GetValueOrDefault(label) ?? label;
        switch (config.Task)
        {
            case "token-classification" when row.GetValueOrDefault(column) is string[] tags:
                var converted = (p.LabelScheme == "iob1" ? Iob1ToIob2(tags) : tags).Select(Map).ToArray();
                return converted.SequenceEqual(tags) ? row : new Row(row) { [column] = converted };
            case "text-classification" when p.LabelMapping is not null && LabelText(row, column) is { } label && Map(label) != label:
                return new Row(row) { [column] = Map(label) };
            default:
                return row;
        }
    }
}
