namespace Course.Core.Search;

public enum SearchMode { Hybrid, Keyword, Embedding }

public sealed record SearchHit(SearchDocument Document, string Snippet, double Score);

/// <summary>The hits, the ranking that produced them, and why it is not the one asked for (null when it is).</summary>
public sealed record SearchResults(IReadOnlyList<SearchHit> Hits, SearchMode Mode, string? Notice);

/// <summary>
/// The site's search box: lessons, quiz questions and dataset cards ranked by keywords and by meaning together
/// (<see cref="SearchMode.Hybrid"/>). Without a ready <see cref="ISemanticIndex"/> (no model, or still indexing) it
/// answers by keywords and says why.
/// </summary>
public sealed class CourseSearch(ISemanticIndex? semantic = null)
{
    /// <summary>
    /// Reciprocal rank fusion's constant (Cormack, Clarke and Büttcher, SIGIR 2009): a document scores
    /// Σ 1/(k + rank) over the rankings it appears in. Ranks, not scores, are fused because the two scores share no
    /// scale (the keyword score counts occurrences, unbounded; cosine similarity lies in [-1, 1]) and a weighted
    /// sum would need a weight tuned on the very questions that measure it; 60 is the paper's value, untuned here.
    /// </summary>
    public const int RankConstant = 60;

    /// <summary>The longest query read; the search box takes no more, and a longer one is cut here.</summary>
    public const int MaxQueryLength = 300;

    /// <summary>How much of a passage a meaning-based hit shows.</summary>
    private const int SnippetLength = 220;

    private volatile IReadOnlyList<SearchDocument> _documents = [];

    public IReadOnlyList<SearchDocument> Documents => _documents;

    public SemanticIndexStatus SemanticStatus => semantic?.Status
        ?? new SemanticIndexStatus(false, "Searching by keywords only: no embedding model is configured (Search:Model).");

    /// <summary>Raised when the documents or the semantic index's status change, so an open search page can re-rank.</summary>
    public event Action? Changed
    {
        add { _changed += value; if (semantic is not null) semantic.Changed += value; }
        remove { _changed -= value; if (semantic is not null) semantic.Changed -= value; }
    }

    private Action? _changed;

    /// <summary>
    /// Publishes <paramref name="documents"/> to keyword search at once, then updates the semantic index (seconds, on
    /// this thread; <paramref name="cancellationToken"/> stops it between batches).
    /// </summary>
    public void Update(IReadOnlyList<SearchDocument> documents, CancellationToken cancellationToken = default)
    {
        _documents = documents;
        _changed?.Invoke();
        semantic?.Update(documents, cancellationToken);
    }

    public SearchResults Search(string? query, SearchMode mode = SearchMode.Hybrid, int max = 10)
    {
        var documents = _documents;
        query = query is { Length: > MaxQueryLength } ? query[..MaxQueryLength] : query;
        if (mode == SearchMode.Keyword || string.IsNullOrWhiteSpace(query))
        {
            return new SearchResults(KeywordSearch.Search(documents, query, max), SearchMode.Keyword, null);
        }
        var status = SemanticStatus;
        if (!status.Ready)
        {
            return new SearchResults(KeywordSearch.Search(documents, query, max), SearchMode.Keyword, status.Message);
        }
        var byId = documents.ToDictionary(d => d.Id);
        // The index may still hold a document a hot reload has just removed: only current documents are shown.
        var meaning = semantic!.Search(query, max).Where(h => byId.ContainsKey(h.DocumentId))
            .Select(h => new SearchHit(byId[h.DocumentId], byId[h.DocumentId].Preview ?? Snippet(h.Passage, byId[h.DocumentId]), h.Score))
            .ToList();
        if (mode == SearchMode.Embedding)
        {
            return new SearchResults(meaning, SearchMode.Embedding, null);
        }
        var words = KeywordSearch.Search(documents, query, max);
        return new SearchResults(Fuse([words, meaning], max), SearchMode.Hybrid, null);
    }

    /// <summary>
    /// Reciprocal rank fusion of <paramref name="rankings"/> (each best first), scored Σ 1/(<see cref="RankConstant"/> + rank);
    /// a document keeps the snippet of the first ranking that has it. Equal scores go to the better single rank.
    /// </summary>
    public static IReadOnlyList<SearchHit> Fuse(IReadOnlyList<IReadOnlyList<SearchHit>> rankings, int max)
    {
        var fused = new Dictionary<string, (SearchHit First, double Score, int BestRank)>();
        foreach (var ranking in rankings)
        {
            for (var i = 0; i < ranking.Count; i++)
            {
                var hit = ranking[i];
                var rank = i + 1;
                fused[hit.Document.Id] = fused.TryGetValue(hit.Document.Id, out var seen)
                    ? (seen.First, seen.Score + 1.0 / (RankConstant + rank), Math.Min(seen.BestRank, rank))
                    : (hit, 1.0 / (RankConstant + rank), rank);
            }
        }
        return fused.Values.OrderByDescending(f => f.Score).ThenBy(f => f.BestRank).ThenBy(f => f.First.Document.Id, StringComparer.Ordinal)
            .Take(max).Select(f => f.First with { Score = f.Score }).ToList();
    }

    /// <summary>The passage's start, without the "Title: " every passage begins with (the title is shown above it).</summary>
    private static string Snippet(string passage, SearchDocument document)
    {
        var text = passage.StartsWith(document.Title + ": ", StringComparison.Ordinal) ? passage[(document.Title.Length + 2)..] : passage;
        var cut = text.LastIndexOf(' ', Math.Min(SnippetLength, text.Length - 1));
        return text.Length <= SnippetLength ? text : text[..(cut > 0 ? cut : SnippetLength)] + " …";
    }
}
