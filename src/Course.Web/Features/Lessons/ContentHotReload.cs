using Course.Core.Configuration;
using Course.Core.Content;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Lessons;

/// <summary>Runs the <see cref="ContentWatcher"/> for the site's lifetime (off with <c>Content:Watch: false</c>).</summary>
public sealed class ContentHotReload(ContentRepository repository, IOptions<ContentOptions> options, ILogger<ContentHotReload> logger) : IHostedService, IDisposable
{
    private ContentWatcher? _watcher;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Watch)
        {
            _watcher = new ContentWatcher(repository);
            logger.LogInformation("Watching {Content} for changes", repository.ContentRoot);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
    }
}
