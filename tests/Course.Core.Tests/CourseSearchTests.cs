using Course.Core.Search;

namespace Course.Core.Tests;

public class CourseSearchTests
{
    /// <summary>A semantic index that ranks documents in a fixed order, whatever the query.</summary>
    private sealed class FixedRanking(bool ready, params string[] ranking) : ISemanticIndex
    {
        public SemanticIndexStatus Status { get; } = new(ready, ready ? "ready" : "Ranking by meaning is being prepared.");

        public event Action? Changed;

        public IReadOnlyList<SearchDocument> Indexed { get; private set; } = [];

        public void Update(IReadOnlyList<SearchDocument> documents, CancellationToken cancellationToken = default)
        {
            Indexed = documents;
            Changed?.Invoke();
        }

        public IReadOnlyList<SemanticHit> Search(string query, int max) =>
            ranking.Take(max).Select((id, i) => new SemanticHit(id, $"{id}: passage of {id}", 0.9 - i * 0.1)).ToList();
    }

    private static SearchDocument Document(string id, string text) => new(id, SearchKind.Lesson, id, $"/topics/{id}", text, [$"{id}: {text}"]);

    // Keywords "padding": a (3 occurrences) then c (1); meaning: b, c, a, d.
    private static readonly SearchDocument[] Documents =
    [
        Document("a", "padding padding padding"),
        Document("b", "making sequences the same length"),
        Document("c", "padding once"),
        Document("d", "the trainer"),
    ];

    private static CourseSearch Search(ISemanticIndex semantic)
    {
        var search = new CourseSearch(semantic);
        search.Update(Documents);
        return search;
    }

    [Fact]
    public void Hybrid_ranking_fuses_the_keyword_and_meaning_ranks_reciprocally()
    {
        var results = Search(new FixedRanking(true, "b", "c", "a", "d")).Search("padding");

        Assert.Equal(SearchMode.Hybrid, results.Mode);
        // a: 1/61 + 1/63, c: 1/62 + 1/62, b: 1/61, d: 1/64.
        Assert.Equal(["a", "c", "b", "d"], results.Hits.Select(h => h.Document.Id));
        Assert.Equal(1.0 / 61 + 1.0 / 63, results.Hits[0].Score, 12);
        Assert.Equal(2.0 / 62, results.Hits[1].Score, 12);
        Assert.Equal("padding padding padding", results.Hits[0].Snippet); // the keyword snippet where there is one
        Assert.Equal("passage of b", results.Hits[2].Snippet);
    }

    [Fact]
    public void Each_ranking_alone_is_available_for_the_measurement()
    {
        var search = Search(new FixedRanking(true, "b", "c", "a", "d"));

        Assert.Equal(["a", "c"], search.Search("padding", SearchMode.Keyword).Hits.Select(h => h.Document.Id));
        Assert.Equal(["b", "c"], search.Search("padding", SearchMode.Embedding, max: 2).Hits.Select(h => h.Document.Id));
    }

    [Fact]
    public void Without_a_ready_index_the_search_answers_by_keywords_and_says_why()
    {
        var results = Search(new FixedRanking(false, "b")).Search("padding");

        Assert.Equal(SearchMode.Keyword, results.Mode);
        Assert.Equal(["a", "c"], results.Hits.Select(h => h.Document.Id));
        Assert.Equal("Ranking by meaning is being prepared.", results.Notice);
        Assert.Contains("keywords only", new CourseSearch().SemanticStatus.Message);
    }

    [Fact]
    public void A_document_the_index_still_holds_but_the_content_no_longer_has_is_not_shown()
    {
        var results = Search(new FixedRanking(true, "gone", "b")).Search("same length", SearchMode.Embedding);

        Assert.Equal(["b"], results.Hits.Select(h => h.Document.Id));
    }

    [Fact]
    public void Updating_the_search_indexes_the_documents_and_tells_listeners()
    {
        var index = new FixedRanking(true);
        var search = new CourseSearch(index);
        var changes = 0;
        search.Changed += () => changes++;

        search.Update(Documents);

        Assert.Equal(Documents, index.Indexed);
        Assert.Equal(2, changes); // the keyword documents, then the index
    }

    [Fact]
    public void Passages_pack_paragraphs_up_to_the_word_limit_and_cut_longer_ones()
    {
        var words = (int n, string w) => string.Join(' ', Enumerable.Repeat(w, n));
        var text = $"{words(50, "a")}\n\n{words(60, "b")}\n\n{words(30, "c")}\n\n{words(250, "d")}";

        var passages = SearchDocuments.Passages("T", text);

        Assert.Equal([$"T: {words(50, "a")} {words(60, "b")}", $"T: {words(30, "c")}", $"T: {words(120, "d")}", $"T: {words(120, "d")}", $"T: {words(10, "d")}"], passages);
        Assert.Equal(["T"], SearchDocuments.Passages("T", " \n\n "));
    }
}
