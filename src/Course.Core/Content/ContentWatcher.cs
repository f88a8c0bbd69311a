namespace Course.Core.Content;

/// <summary>
/// Hot reload: watches the content folder and reloads the repository shortly after files stop changing
/// (editors write in bursts: temp file, rename, touch). A valid change reaches students without a restart; an
/// invalid one leaves them the last good version, and instructors see its errors (the repository's rules).
/// </summary>
public sealed class ContentWatcher : IDisposable
{
    private static readonly string[] Watched = [".md", ".yaml", ".yml", ".jsonl"];

    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private readonly TimeSpan _quiet;

    public ContentWatcher(ContentRepository repository, TimeSpan? quiet = null)
    {
        _quiet = quiet ?? TimeSpan.FromMilliseconds(300);
        _debounce = new Timer(_ => repository.Reload());
        _watcher = new FileSystemWatcher(repository.ContentRoot)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += OnChange;
        _watcher.Created += OnChange;
        _watcher.Deleted += OnChange;
        _watcher.Renamed += OnChange;
        _watcher.EnableRaisingEvents = true;
    }

    private void OnChange(object sender, FileSystemEventArgs e)
    {
        if (Watched.Contains(Path.GetExtension(e.FullPath), StringComparer.OrdinalIgnoreCase) || Directory.Exists(e.FullPath))
        {
            _debounce.Change(_quiet, Timeout.InfiniteTimeSpan); // every change restarts the quiet period
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
    }
}
