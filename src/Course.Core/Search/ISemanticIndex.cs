namespace Course.Core.Search;

/// <summary>Whether meaning-based search can answer now, and if not, why (shown on the search page).</summary>
public sealed record SemanticIndexStatus(bool Ready, string Message);

/// <summary>A document's passage closest in meaning to a query, with their cosine similarity.</summary>
public sealed record SemanticHit(string DocumentId, string Passage, double Score);

/// <summary>
/// Meaning-based search over the documents (sentence embeddings; the implementation lives with the ML code, so the
/// course's domain needs no tensor library). Updates may take seconds; searches answer from the last finished one.
/// </summary>
public interface ISemanticIndex
{
    SemanticIndexStatus Status { get; }

    /// <summary>Raised when <see cref="Status"/> or the indexed documents change.</summary>
    event Action? Changed;

    /// <summary>
    /// Indexes <paramref name="documents"/>, re-embedding only passages whose text changed; on the caller's thread.
    /// Cancelled (the site stopping), it stops between batches and keeps the last finished index.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    void Update(IReadOnlyList<SearchDocument> documents, CancellationToken cancellationToken = default);

    /// <summary>Documents ranked by their best passage, best first; empty while not <see cref="SemanticIndexStatus.Ready"/>.</summary>
    IReadOnlyList<SemanticHit> Search(string query, int max);
}
