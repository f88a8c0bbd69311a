using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Ml.Data;

/// <summary>One example: column name → value (string, long, double, bool, string[], long[] or null).</summary>
public sealed class Row : Dictionary<string, object?>
{
    public Row() : base(StringComparer.Ordinal) { }

    public Row(IDictionary<string, object?> values) : base(values, StringComparer.Ordinal) { }

    public T Get<T>(string column) => this.TryGetValue(column, out var value) && value is T typed
        ? typed
        : throw new KeyNotFoundException($"column '{column}' is missing or not a {typeof(T).Name}");
}

/// <summary>Class names ↔ ids, as HF <c>datasets.ClassLabel</c>.</summary>
public sealed record ClassLabel(IReadOnlyList<string> Names)
{
    public int NumClasses => Names.Count;

    public int StrToInt(string name)
    {
        var id = Names.ToList().IndexOf(name);
        return id >= 0 ? id : throw new KeyNotFoundException($"unknown label '{name}' (labels: {string.Join(", ", Names)})");
    }

    public string IntToStr(int id) => (uint)id < (uint)Names.Count ? Names[id] : throw new ArgumentOutOfRangeException(nameof(id), $"label id {id} is outside 0–{Names.Count - 1}");
}

/// <summary>
/// A table of examples in the spirit of HF <c>datasets.Dataset</c>: load JSON Lines, CSV/TSV or CoNLL, then
/// <see cref="Map"/>, <see cref="Filter"/>, <see cref="Select"/>, <see cref="Shuffle"/> and
/// <see cref="TrainTestSplit"/>, each returning a new dataset (the original is never modified).
/// </summary>
public sealed class Dataset(IReadOnlyList<Row> rows) : IReadOnlyList<Row>
{
    private readonly IReadOnlyList<Row> _rows = rows;
    private string? _fingerprint;

    public int Count => _rows.Count;
    public Row this[int index] => _rows[index];
    public IEnumerator<Row> GetEnumerator() => _rows.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// HF's dataset fingerprint: a SHA-256 of the rows' content (keys, values, order), so anything derived
    /// from the dataset can be cached under it and is recomputed exactly when the data changes.
    /// </summary>
    public string Fingerprint => _fingerprint ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(_rows.Select(r => r.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv => kv.Value)))));

    public IReadOnlyList<string> ColumnNames => _rows.Count == 0 ? [] : _rows[0].Keys.ToList();

    public IEnumerable<T> Column<T>(string name) => _rows.Select(r => r.Get<T>(name));

    /// <summary>One JSON object per line; line numbers in errors.</summary>
    public static Dataset FromJsonLines(string path)
    {
        var rows = new List<Row>();
        foreach (var (number, line) in JsonLines.Read(path))
        {
            try
            {
                rows.Add(ParseJsonLine(line));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path}:{number}: {ex.Message}");
            }
        }
        return new Dataset(TypeEmptyLists(rows));
    }

    /// <summary>
    /// An empty JSON list says nothing of its element type (it parses as an empty long[]); as in Hugging Face
    /// <c>datasets</c>, where a column has one feature type, it takes the type of the column's other lists, so an empty
    /// sentence's <c>tokens: []</c> is a string[] like every other row's.
    /// </summary>
    private static List<Row> TypeEmptyLists(List<Row> rows)
    {
        var strings = rows.SelectMany(r => r).Where(kv => kv.Value is string[] { Length: > 0 }).Select(kv => kv.Key).ToHashSet();
        foreach (var row in rows)
        {
            foreach (var column in strings.Where(c => row.GetValueOrDefault(c) is long[] { Length: 0 }))
            {
                row[column] = Array.Empty<string>();
            }
        }
        return rows;
    }

    /// <summary>One JSONL line as a row; <see cref="InvalidDataException"/> when it is not a JSON object.</summary>
    public static Row ParseJsonLine(string line)
    {
        try
        {
            var json = JsonNode.Parse(line)?.AsObject() ?? throw new InvalidDataException("null");
            return new Row(json.ToDictionary(kv => kv.Key, kv => Value(kv.Value)));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"not a JSON object ({ex.Message})");
        }
    }

    /// <summary>A header row, then one example per line (comma or tab separated; double quotes as in RFC 4180).</summary>
    public static Dataset FromCsv(string path, char? delimiter = null)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path}:1: empty file; expected a header row");
        }
        var separator = delimiter ?? (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');
        var header = SplitCsv(lines[0], separator);
        var rows = new List<Row>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            var fields = SplitCsv(lines[i], separator);
            if (fields.Count != header.Count)
            {
                throw new InvalidDataException($"{path}:{i + 1}: {fields.Count} fields but the header has {header.Count}");
            }
            rows.Add(new Row(header.Zip(fields).ToDictionary(p => p.First, p => (object?)p.Second)));
        }
        return new Dataset(rows);
    }

    /// <summary>CoNLL: "token TAG" per line (tab or spaces; the tag is the last field), a blank line between sentences → tokens, ner_tags.</summary>
    public static Dataset FromConll(string path)
    {
        var rows = new List<Row>();
        var (tokens, tags) = (new List<string>(), new List<string>());
        var lines = File.ReadAllLines(path);
        for (var i = 0; i <= lines.Length; i++)
        {
            var line = i < lines.Length ? lines[i].Trim() : "";
            if (line.Length == 0 || line.StartsWith("-DOCSTART-", StringComparison.Ordinal))
            {
                if (tokens.Count > 0)
                {
                    rows.Add(new Row { ["tokens"] = tokens.ToArray(), ["ner_tags"] = tags.ToArray() });
                }
                (tokens, tags) = ([], []);
                continue;
            }
            var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                throw new InvalidDataException($"{path}:{i + 1}: expected 'token<TAB>tag', found '{line}'");
            }
            tokens.Add(fields[0]);
            tags.Add(fields[^1]);
        }
        return new Dataset(rows);
    }

    public Dataset Map(Func<Row, Row> transform) => new(_rows.Select(transform).ToList());

    /// <summary>Batched map: the function sees <paramref name="batchSize"/> rows at a time (e.g. batched tokenization).</summary>
    public Dataset Map(Func<IReadOnlyList<Row>, IReadOnlyList<Row>> transform, int batchSize = 1000) =>
        new(_rows.Chunk(batchSize).SelectMany(chunk => transform(chunk)).ToList());

    public Dataset Filter(Func<Row, bool> keep) => new(_rows.Where(keep).ToList());

    public Dataset Select(IEnumerable<int> indices) => new(indices.Select(i => _rows[i]).ToList());

    /// <summary>A permutation that depends only on <paramref name="seed"/> (same seed → same order on every machine).</summary>
    public Dataset Shuffle(int seed) => Select(Permutation(Count, seed));

    /// <summary>
    /// Splits into train and test; with <paramref name="stratifyByColumn"/> every class keeps its proportion
    /// in both parts (each class split on its own, rounding the test share).
    /// </summary>
    public (Dataset Train, Dataset Test) TrainTestSplit(double testSize, int seed, string? stratifyByColumn = null)
    {
        if (testSize is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testSize), "test_size must be between 0 and 1 (exclusive).");
        }
        IEnumerable<IReadOnlyList<int>> groups = stratifyByColumn is null
            ? [Enumerable.Range(0, Count).ToList()]
            : Enumerable.Range(0, Count).GroupBy(i => _rows[i][stratifyByColumn]?.ToString() ?? "").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToList());
        var (train, test) = (new List<int>(), new List<int>());
        var offset = 0;
        foreach (var group in groups)
        {
            var order = Permutation(group.Count, seed + offset++).Select(i => group[i]).ToList();
            var testCount = (int)Math.Round(group.Count * testSize);
            test.AddRange(order.Take(testCount));
            train.AddRange(order.Skip(testCount));
        }
        return (Select(train.Order()), Select(test.Order()));
    }

    private static int[] Permutation(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    private static object? Value(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array when array.All(v => v is JsonValue x && x.TryGetValue<long>(out _)) => array.Select(v => v!.GetValue<long>()).ToArray(),
        JsonArray array => array.Select(v => v?.ToString() ?? "").ToArray(),
        JsonObject obj => obj.ToDictionary(kv => kv.Key, kv => Value(kv.Value)),
        JsonValue value when value.TryGetValue<long>(out var l) => l,
        JsonValue value when value.TryGetValue<double>(out var d) => d,
        JsonValue value when value.TryGetValue<bool>(out var b) => b,
        JsonValue value => value.ToString(),
        _ => node.ToJsonString(),
    };

    private static List<string> SplitCsv(string line, char separator)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == separator) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
