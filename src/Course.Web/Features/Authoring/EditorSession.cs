using Course.Core.Authoring;
using Course.Core.Content;

namespace Course.Web.Features.Authoring;

/// <summary>
/// One instructor's editing in the content editor (a circuit's worth): the open file, the text being typed, the
/// latest check of it, saving and the versions it replaced. The page binds to it; the rules live here.
/// </summary>
public sealed class EditorSession(ContentEditor editor, TimeProvider clock)
{
    /// <summary>How long typing must pause before the text is checked.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private int _checkNumber;
    private string? _loadedPath;
    private bool _loaded;

    public IReadOnlyList<EditableFile> Files { get; private set; } = [];
    public ChangedFiles Changed { get; private set; } = new([], null);
    public OpenedFile? Opened { get; private set; }
    public IReadOnlyList<PreviousVersion> Previous { get; private set; } = [];
    public string Text { get; set; } = "";
    public EditCheck? Check { get; private set; }
    public bool Checking { get; private set; }
    public bool Saving { get; private set; }
    public string? Problem { get; private set; }
    public string? Saved { get; private set; }
    public IReadOnlyList<string> GiftReport { get; private set; } = [];

    /// <summary>Text typed since the file was opened or saved.</summary>
    public bool HasUnsavedChanges => Opened is not null && Text != Opened.Text;

    /// <summary>Opens <paramref name="path"/> (content-relative; none: the file list only). Reopening the open file keeps what is typed.</summary>
    public async Task OpenAsync(string? path)
    {
        // The layout re-renders the page on unrelated changes: only a different file may replace the editor's text.
        if (_loaded && path == _loadedPath)
        {
            return;
        }
        (_loaded, _loadedPath) = (true, path);
        (Problem, Saved, Opened, Check) = (null, null, null, null);
        Refresh();
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        try
        {
            Opened = editor.Open(path);
            Text = Opened.Text;
            Previous = editor.PreviousVersions(path);
            GiftReport = GiftReportOf(Opened);
            await CheckAsync();
        }
        catch (ArgumentException ex)
        {
            Problem = ex.Message;
        }
    }

    /// <summary>
    /// The converted quiz as a new, unsaved file, checked and previewed like any edit; returns the editor link of
    /// its path (null, with <see cref="Problem"/> set, when the GIFT or the path is refused).
    /// </summary>
    public async Task<string?> ImportGiftAsync(string gift, string path)
    {
        path = path.Trim();
        try
        {
            var imported = editor.ImportGift(gift, path);
            (Problem, Saved, _loadedPath) = (null, null, path);
            Opened = new OpenedFile(path, ContentFileKind.Quiz, "", null);
            (Text, Previous, GiftReport) = (imported.Markdown, [], imported.Report);
            await CheckAsync();
            return Link(path);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Problem = ex.Message;
            return null;
        }
    }

    /// <summary>Checks once typing pauses for <see cref="Quiet"/>; a keystroke in the pause starts it again.</summary>
    public async Task TextChangedAsync()
    {
        Saved = null;
        var number = ++_checkNumber;
        Checking = true;
        await Task.Delay(Quiet, clock);
        if (number == _checkNumber)
        {
            await CheckAsync();
        }
    }

    /// <summary>Loading the module takes a moment: off the circuit's thread, and only the latest check is kept.</summary>
    public async Task CheckAsync()
    {
        var number = ++_checkNumber;
        var (path, candidate) = (Opened!.Path, Text);
        Checking = true;
        var result = await Task.Run(() => editor.Check(path, candidate));
        if (number == _checkNumber)
        {
            (Check, Checking) = (result, false);
        }
    }

    /// <summary>Saves and publishes the text, or keeps it with the errors that refused it.</summary>
    public async Task SaveAsync()
    {
        Saving = true;
        var (path, candidate, version) = (Opened!.Path, Text, Opened.Version);
        var outcome = await Task.Run(() => editor.Save(path, candidate, version));
        Saving = false;
        if (!outcome.Saved)
        {
            Check = new EditCheck(outcome.Errors, Check?.Snapshot);
            return;
        }
        Opened = editor.Open(path);
        Previous = editor.PreviousVersions(path);
        GiftReport = GiftReportOf(Opened);
        Saved = $"Saved and published at {clock.GetUtcNow():HH:mm:ss} UTC; the replaced version is kept below.";
        Refresh();
    }

    public async Task LoadPreviousAsync(PreviousVersion version)
    {
        Text = editor.ReadPrevious(Opened!.Path, version.Id);
        Saved = null;
        await CheckAsync();
    }

    /// <summary>The editor link for a new lesson or quiz at <paramref name="path"/>, or null (with <see cref="Problem"/>) for any other path.</summary>
    public string? NewFileLink(string path)
    {
        path = path.Trim();
        if (ContentEditor.KindOf(path) is ContentFileKind.Lesson or ContentFileKind.Quiz)
        {
            return Link(path);
        }
        Problem = $"'{path}' is not a lesson (topics/<folder>/<name>.md) or quiz (quizzes/<name>.md) path: lower-case letters, digits, '.', '-' and '_'.";
        return null;
    }

    public static string Link(string path) => $"/instructor/editor?file={Uri.EscapeDataString(path)}";

    public static string Plural(ContentFileKind kind) => kind switch
    {
        ContentFileKind.Module => "Module",
        ContentFileKind.Lesson => "Lessons",
        ContentFileKind.Quiz => "Quizzes",
        ContentFileKind.Assignment => "Assignments",
        _ => "Starter configurations",
    };

    /// <summary>What a GIFT export of the saved quiz would lose; nothing to say while the saved file does not load.</summary>
    private IReadOnlyList<string> GiftReportOf(OpenedFile file)
    {
        try
        {
            return file.Kind == ContentFileKind.Quiz && file.Version is not null ? editor.ExportGift(file.Path).Report : [];
        }
        catch (ContentException)
        {
            return [];
        }
    }

    private void Refresh()
    {
        Files = editor.Files();
        Changed = editor.Changed();
    }
}
