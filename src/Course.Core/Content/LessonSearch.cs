namespace Course.Core.Content;

public sealed record SearchHit(Lesson Lesson, string Snippet, int Score);

/// <summary>Search across lessons: every term must occur; title matches weigh more than body matches.</summary>
public static class LessonSearch
{
    private const int SnippetRadius = 90;

    public static IReadOnlyList<SearchHit> Search(IEnumerable<Lesson> lessons, string? query, int max = 20)
    {
        var terms = (query ?? "")
            .Split([' ', '\t', ',', ';'], StringSplitOptions.RemoveEmptyEntries)
            .Where(t => t.Length >= 2)
            .Select(t => t.ToLowerInvariant())
            .Distinct()
            .ToList();
        if (terms.Count == 0)
        {
            return [];
        }

        var hits = new List<SearchHit>();
        foreach (var lesson in lessons)
        {
            var title = lesson.Title.ToLowerInvariant();
            var body = lesson.PlainText.ToLowerInvariant();
            if (!terms.All(t => title.Contains(t) || body.Contains(t)))
            {
                continue;
            }
            var score = terms.Sum(t => (title.Contains(t) ? 10 : 0) + Count(body, t));
            hits.Add(new SearchHit(lesson, Snippet(lesson.PlainText, body, terms), score));
        }
        return hits.OrderByDescending(h => h.Score).ThenBy(h => h.Lesson.Title).Take(max).ToList();
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

    private static string Snippet(string plain, string lower, List<string> terms)
    {
        var at = terms.Select(t => lower.IndexOf(t, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(0).Min();
        var start = Math.Max(0, at - SnippetRadius);
        var end = Math.Min(plain.Length, at + SnippetRadius);
        var text = string.Join(' ', plain[start..end].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return (start > 0 ? "… " : "") + text + (end < plain.Length ? " …" : "");
    }
}
