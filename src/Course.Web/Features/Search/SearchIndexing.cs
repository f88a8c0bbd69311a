using System.Threading.Channels;
using Course.Core.Content;
using Course.Core.Search;
using Course.Grading.Search;

namespace Course.Web.Features.Search;

/// <summary>
/// Keeps the site's search current: indexes the content when the site starts and again after every reload (hot
/// reload, an editor's save), one update at a time and always of the latest content; an update re-embeds only the
/// passages whose text changed. Keyword search sees new content at once, meaning-based search when its update ends.
/// </summary>
public sealed class SearchIndexing(ContentRepository repository, CourseSearch search, ILogger<SearchIndexing> logger) : BackgroundService
{
    // One pending signal is enough: an update reads the repository's current snapshot when it starts.
    private readonly Channel<bool> _reloads = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Raised after each update with the number of documents indexed (tests wait on it).</summary>
    public event Action<int>? Updated;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        repository.Changed += OnReload;
        try
        {
            OnReload();
            await foreach (var _ in _reloads.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    // Embedding takes seconds of CPU: off the host's start-up and the watcher's thread.
                    var documents = await Task.Run(() =>
                    {
                        var corpus = SearchCorpus.For(repository.Current, repository.ContentRoot);
                        search.Update(corpus, stoppingToken); // stops between batches when the site stops
                        return corpus.Count;
                    }, stoppingToken);
                    Updated?.Invoke(documents);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Search keeps what it had; the next reload tries again.
                    logger.LogError(ex, "The search index could not be updated");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            repository.Changed -= OnReload;
        }
    }

    private void OnReload() => _reloads.Writer.TryWrite(true);
}
