namespace Course.Core.Search;

/// <summary>Search by words: every term must occur; title matches weigh more than body matches.</summary>
public static class KeywordSearch
{
    private const int SnippetRadius = 90;

    /// <summary>Punctuation that ends or opens a word in a sentence ("length?", "(padding)"), never part of a term.</summary>
    private static readonly char[] Punctuation = ['?', '!', '.', ':', '"', '\'', '(', ')'];

    /// <summary>The query's terms as the keyword search reads them: lower case, without sentence punctuation at their ends, two letters or more, each once.</summary>
    public static IReadOnlyList<string> Terms(string? query) => (query ?? "")
        .Split([' ', '\t', ',', ';'], StringSplitOptions.RemoveEmptyEntries)
        .Select(t => t.Trim(Punctuation))
        .Where(t => t.Length >= 2)
        .Select(t => t.ToLowerInvariant())
        .Distinct()
        .ToList();

    public static IReadOnlyList<SearchHit> Search(IEnumerable<SearchDocument> documents, string? query, int max = 20)
    {
        var terms = Terms(query);
        if (terms.Count == 0)
        {
            return [];
        }

        var hits = new List<SearchHit>();
        foreach (var document in documents)
        {
            var title = document.Title.ToLowerInvariant();
            var body = document.Text.ToLowerInvariant();
            if (!terms.All(t => title.Contains(t) || body.Contains(t)))
            {
                continue;
            }
            var score = terms.Sum(t => (title.Contains(t) ? 10 : 0) + Count(body, t));
            hits.Add(new SearchHit(document, document.Preview ?? Snippet(document.Text, body, terms), score));
        }
        return hits.OrderByDescending(h => h.Score).ThenBy(h => h.Document.Title, StringComparer.Ordinal).Take(max).ToList();
    }

    private static int Count(string text, string term)
    {
        var count = 0;
        for (var i = text.IndexOf(term, StringComparison.Ordinal); i >= 0; i = text.IndexOf(term, i + term.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static string Snippet(string plain, string lower, IReadOnlyList<string> terms)
    {
        var at = terms.Select(t => lower.IndexOf(t, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(0).Min();
        var start = Math.Max(0, at - SnippetRadius);
        var end = Math.Min(plain.Length, at + SnippetRadius);
        var text = string.Join(' ', plain[start..end].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return (start > 0 ? "… " : "") + text + (end < plain.Length ? " …" : "");
    }
}
