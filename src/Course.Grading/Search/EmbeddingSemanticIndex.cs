using Course.Core.Search;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Ml.Search;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Course.Grading.Search;

/// <summary>
/// <see cref="ISemanticIndex"/> over <see cref="SearchOptions.Model"/>'s sentence embeddings: every passage of every
/// document embedded (mean pooling, normalised), a document ranked by its best passage. The model is loaded at the
/// first update that has passages; a model the hub cannot provide leaves search to keywords, and the status says why.
/// Embeddings are kept in the hub's cache (<see cref="EmbeddingCache"/>): a restart embeds only what changed.
/// Disposing waits for the updates and searches running on the model and turns later ones into no-ops: a model freed
/// under a forward pass is read after it is freed (an <see cref="ObjectDisposedException"/> if TorchSharp notices,
/// a crash inside libtorch if not), which a site stopping during its first update did.
/// </summary>
public sealed class EmbeddingSemanticIndex(ModelHub hub, Device device, IOptions<SearchOptions> options, ILogger<EmbeddingSemanticIndex> logger)
    : ISemanticIndex, IDisposable
{
    private readonly SearchOptions _options = options.Value;
    // Updates and searches read the model (shared), Dispose frees it (exclusive); each takes and releases it on one
    // thread. Recursive: an update raises Changed while it holds the model, and a handler may search at once.
    // Never disposed itself: a call after Dispose still takes it, to learn that the model is gone.
    private readonly ReaderWriterLockSlim _model = new(LockRecursionPolicy.SupportsRecursion);
    private bool _disposed;
    private SentenceEmbeddingPipeline? _pipeline;
    private EmbeddingCache? _cache;
    private volatile EmbeddingIndex? _index;
    private volatile SemanticIndexStatus _status = string.IsNullOrWhiteSpace(options.Value.Model)
        ? new SemanticIndexStatus(false, $"Searching by keywords only: {SearchOptions.Section}:{nameof(SearchOptions.Model)} names no embedding model.")
        : new SemanticIndexStatus(false, "Ranking by meaning is being prepared; these results match your words.");

    public SemanticIndexStatus Status => _status;

    public event Action? Changed;

    /// <summary>The last update's passages, passages embedded and time taken (null before the first).</summary>
    public EmbeddingIndexUpdate? LastUpdate { get; private set; }

    public void Update(IReadOnlyList<SearchDocument> documents, CancellationToken cancellationToken = default)
    {
        if (!TryUseModel())
        {
            return;
        }
        try
        {
            UpdateWithModel(documents, cancellationToken);
        }
        finally
        {
            _model.ExitReadLock();
        }
    }

    private void UpdateWithModel(IReadOnlyList<SearchDocument> documents, CancellationToken cancellationToken)
    {
        var passages = documents.SelectMany(d => d.Passages.Select(p => new Passage(d.Id, p))).ToList();
        if (string.IsNullOrWhiteSpace(_options.Model) || (passages.Count == 0 && _index is null))
        {
            return;
        }
        if (_index is null)
        {
            try
            {
                _pipeline = SentenceEmbeddingPipeline.FromPretrained(_options.Model, hub, device);
                _cache = EmbeddingCache.For(hub, _options.Model);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or IOException or InvalidOperationException or ArgumentException)
            {
                logger.LogWarning("Search by meaning is off: {Model} could not be loaded: {Error}", _options.Model, ex.Message);
                Publish(new SemanticIndexStatus(false, $"Searching by keywords only: the embedding model {_options.Model} is not in the local hub ({ex.Message})"));
                return;
            }
            _index = EmbeddingIndex.For(_pipeline, _options.BatchSize, _cache!.Load());
        }
        LastUpdate = _index.Update(passages, cancellationToken);
        if (LastUpdate.Embedded > 0)
        {
            try
            {
                _cache!.Save(_index.Vectors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Search works from memory; the next start embeds again.
                logger.LogWarning("The search embeddings could not be kept in {Path}: {Error}", _cache!.Path, ex.Message);
            }
        }
        logger.LogInformation("Search index: {Documents} documents, {Passages} passages, {Embedded} embedded with {Model} in {Seconds:F1} s",
            documents.Count, LastUpdate.Passages, LastUpdate.Embedded, _options.Model, LastUpdate.Elapsed.TotalSeconds);
        Publish(new SemanticIndexStatus(true, $"Ranked by meaning ({_options.Model}) and by your words together."));
    }

    public IReadOnlyList<SemanticHit> Search(string query, int max)
    {
        if (_index is not { } index || !_status.Ready || !TryUseModel())
        {
            return [];
        }
        try
        {
            return index.Search(query, max).Select(h => new SemanticHit(h.Key, h.Passage, h.Score)).ToList();
        }
        finally
        {
            _model.ExitReadLock();
        }
    }

    /// <summary>Takes a shared hold on the model, unless it is disposed (a call during Dispose waits for it): then false and no hold.</summary>
    private bool TryUseModel()
    {
        _model.EnterReadLock();
        if (!_disposed)
        {
            return true;
        }
        _model.ExitReadLock();
        return false;
    }

    private void Publish(SemanticIndexStatus status)
    {
        _status = status;
        Changed?.Invoke();
    }

    public void Dispose()
    {
        _model.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _pipeline?.Dispose();
        }
        finally
        {
            _model.ExitWriteLock();
        }
    }
}
