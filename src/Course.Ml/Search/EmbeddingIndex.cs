using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Course.Ml.Pipelines;

namespace Course.Ml.Search;

/// <summary>A passage of a document: <see cref="Key"/> names the document, several passages may share it.</summary>
public sealed record Passage(string Key, string Text);

/// <summary>A document's best passage for a query: the cosine similarity of their embeddings.</summary>
public sealed record EmbeddingHit(string Key, string Passage, float Score);

/// <summary>What an <see cref="EmbeddingIndex.Update"/> did: how many passages it holds, how many it had to embed, and how long it took.</summary>
public sealed record EmbeddingIndexUpdate(int Passages, int Embedded, TimeSpan Elapsed);

/// <summary>
/// Passages and their sentence embeddings, searched by cosine similarity; a document ranks by its best passage, so
/// a long lesson is found by the one section that answers the question. Embeddings are kept by the SHA-256 of the
/// passage's text: an update (a hot reload of the content) embeds only passages it has not seen, in batches.
/// Updates take turns; a search reads the entries published last, so it never waits for an update.
/// </summary>
/// <param name="known">Embeddings computed before (<see cref="EmbeddingCache"/>), by passage hash: not embedded again.</param>
/// <param name="encode">Embeds texts, observing the token (an update's cancellation).</param>
public sealed class EmbeddingIndex(Func<IReadOnlyList<string>, CancellationToken, IReadOnlyList<float[]>> encode, IReadOnlyDictionary<string, float[]>? known = null)
{
    private readonly Lock _updating = new();
    private Dictionary<string, float[]> _byHash = known is null ? new(StringComparer.Ordinal) : new(known, StringComparer.Ordinal);
    private volatile Entry[] _entries = [];

    private sealed record Entry(Passage Passage, float[] Vector);

    /// <summary>An index over <paramref name="pipeline"/>'s embeddings, <paramref name="batchSize"/> passages per forward pass.</summary>
    public static EmbeddingIndex For(SentenceEmbeddingPipeline pipeline, int batchSize = 32, IReadOnlyDictionary<string, float[]>? known = null) =>
        new((texts, cancellationToken) => pipeline.Encode(texts, batchSize, cancellationToken), known);

    public int Count => _entries.Length;

    /// <summary>The current passages' embeddings by hash (what <see cref="EmbeddingCache.Save"/> keeps).</summary>
    public IReadOnlyDictionary<string, float[]> Vectors
    {
        get { lock (_updating) return new Dictionary<string, float[]>(_byHash, StringComparer.Ordinal); }
    }

    /// <summary>
    /// Replaces the index's passages with <paramref name="passages"/>, embedding those whose text is new. Cancelled,
    /// the embedding stops before its next batch and the index keeps the passages it had.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public EmbeddingIndexUpdate Update(IReadOnlyList<Passage> passages, CancellationToken cancellationToken = default)
    {
        lock (_updating)
        {
            var clock = Stopwatch.StartNew();
            var hashes = passages.Select(p => Hash(p.Text)).ToList();
            var missing = hashes.Select((hash, i) => (hash, passages[i].Text)).Where(p => !_byHash.ContainsKey(p.hash))
                .DistinctBy(p => p.hash).ToList();
            var vectors = missing.Count == 0 ? [] : encode(missing.ConvertAll(p => p.Text), cancellationToken);
            var byHash = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var i = 0; i < missing.Count; i++)
            {
                byHash[missing[i].hash] = vectors[i];
            }
            var entries = new Entry[passages.Count];
            for (var i = 0; i < passages.Count; i++)
            {
                // Only the current passages' embeddings are kept: an edited paragraph's old vector is dropped.
                var vector = byHash.TryGetValue(hashes[i], out var fresh) ? fresh : _byHash[hashes[i]];
                byHash[hashes[i]] = vector;
                entries[i] = new Entry(passages[i], vector);
            }
            (_byHash, _entries) = (byHash, entries);
            return new EmbeddingIndexUpdate(passages.Count, missing.Count, clock.Elapsed);
        }
    }

    /// <summary>The <paramref name="max"/> documents whose best passage is closest to <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<EmbeddingHit> Search(string query, int max)
    {
        var entries = _entries;
        if (entries.Length == 0 || string.IsNullOrWhiteSpace(query))
        {
            return [];
        }
        var q = encode([query], CancellationToken.None)[0];
        return entries
            .Select(e => new EmbeddingHit(e.Passage.Key, e.Passage.Text, SentenceEmbeddingPipeline.CosineSimilarity(q, e.Vector)))
            .GroupBy(h => h.Key)
            .Select(g => g.MaxBy(h => h.Score)!)
            .OrderByDescending(h => h.Score).ThenBy(h => h.Key, StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
