namespace Course.Ml.Hub;

/// <summary>A dataset of the course: its card and the row count of each public split.</summary>
public sealed record HubDataset(string Id, string Path, HubCard Card, IReadOnlyDictionary<string, int> Splits)
{
    public IReadOnlyList<string> Tasks => Card.Values("task_categories");
}

/// <summary>Datasets in <c>content/datasets/&lt;name&gt;/</c>, listed from their dataset cards like the Hub does.</summary>
public sealed class DatasetCatalog(string root)
{
    public string Root { get; } = System.IO.Path.GetFullPath(root);

    public IReadOnlyList<HubDataset> List(HubQuery? query = null) =>
        !Directory.Exists(Root)
            ? []
            : Directory.EnumerateDirectories(Root)
                .Order(StringComparer.Ordinal)
                .Select(Load)
                .Where(d => query is null || query.Matches(d.Id, d.Card, d.Tasks))
                .ToList();

    public HubDataset Show(string name)
    {
        var path = System.IO.Path.Combine(Root, name);
        if (name.Contains('/') || name.Contains("..") || !Directory.Exists(path))
        {
            throw new KeyNotFoundException($"Unknown dataset '{name}'. Known: {string.Join(", ", List().Select(d => d.Id))}.");
        }
        return Load(path);
    }

    private static HubDataset Load(string path)
    {
        var splits = Directory.EnumerateFiles(path)
            .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".tsv", StringComparison.Ordinal)
                        || f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".conll", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => System.IO.Path.GetFileNameWithoutExtension(f), CountRows);
        return new HubDataset(System.IO.Path.GetFileName(path), path, HubCard.Load(System.IO.Path.Combine(path, "README.md")), splits);
    }

    private static int CountRows(string file) => file.EndsWith(".conll", StringComparison.Ordinal)
        ? File.ReadAllText(file).Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length
        : File.ReadLines(file).Count(l => l.Length > 0) - (file.EndsWith(".jsonl", StringComparison.Ordinal) ? 0 : 1);
}
