using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Quizzes.Gift;
using Microsoft.Extensions.Options;
using Course.Yaml;

namespace Course.Core.Authoring;

public enum ContentFileKind { Module, Lesson, Quiz, Assignment, Starter }

/// <summary>A file of the module the editor opens; <paramref name="Path"/> is content-relative with '/' separators.</summary>
public sealed record EditableFile(string Path, ContentFileKind Kind);

/// <summary>A file's text and the version (content hash) it was read at; saving against a stale version is refused.</summary>
public sealed record OpenedFile(string Path, ContentFileKind Kind, string Text, string? Version);

/// <summary>What an edit would do: its errors (this file's and any it causes elsewhere) and the module as it would load.</summary>
public sealed record EditCheck(IReadOnlyList<ContentError> Errors, ContentSnapshot? Snapshot)
{
    public bool IsValid => Errors.Count == 0;
}

public sealed record SaveOutcome(bool Saved, string? Version, IReadOnlyList<ContentError> Errors);

/// <summary>A version kept when a save replaced it; <paramref name="Id"/> names it for <see cref="ContentEditor.ReadPrevious"/>.</summary>
public sealed record PreviousVersion(string Id, DateTimeOffset SavedAt);

/// <summary>Files under content/ that differ from the last commit (<c>git status</c> letters), or why they cannot be listed.</summary>
public sealed record ChangedFiles(IReadOnlyList<(string Status, string Path)> Files, string? Problem);

/// <summary>
/// The instructors' editor: opens the module's files, judges an edit with every check the live content gets
/// (by loading the whole module with the edit laid over the disk), and saves only what validates — atomically
/// (temp file + rename in the same folder, so students never read half a file) and keeping the version it
/// replaced under <c>data/content-history/</c>. The repository reloads at once; the watcher would too.
/// </summary>
public sealed partial class ContentEditor(ContentRepository content, CourseEnvironment environment, IOptions<DataOptions> data, TimeProvider clock)
{
    private static readonly (Regex Pattern, ContentFileKind Kind)[] Kinds =
    [
        (ModulePattern(), ContentFileKind.Module),
        (LessonPattern(), ContentFileKind.Lesson),
        (QuizPattern(), ContentFileKind.Quiz),
        (AssignmentPattern(), ContentFileKind.Assignment),
        (StarterPattern(), ContentFileKind.Starter),
    ];

    // \z, not $: "$" also matches before a final newline, so "quizzes/a.md\n" (?file=quizzes%2Fa.md%0A) would pass.
    [GeneratedRegex(@"^module\.yaml\z", RegexOptions.NonBacktracking)]
    private static partial Regex ModulePattern();

    [GeneratedRegex(@"^topics/[A-Za-z0-9][A-Za-z0-9._-]*/[a-z0-9][a-z0-9._-]*\.md\z", RegexOptions.NonBacktracking)]
    private static partial Regex LessonPattern();

    [GeneratedRegex(@"^quizzes/[a-z0-9][a-z0-9._-]*\.md\z", RegexOptions.NonBacktracking)]
    private static partial Regex QuizPattern();

    [GeneratedRegex(@"^assignments/[a-z0-9][a-z0-9_-]*/assignment\.md\z", RegexOptions.NonBacktracking)]
    private static partial Regex AssignmentPattern();

    [GeneratedRegex(@"^assignments/[a-z0-9][a-z0-9_-]*/starter\.yaml\z", RegexOptions.NonBacktracking)]
    private static partial Regex StarterPattern();

    private string HistoryRoot => Path.Combine(environment.Resolve(data.Value.Path), "content-history");

    /// <summary>The kind of an editable path, or null for anything else (datasets, READMEs, paths leaving content/).</summary>
    public static ContentFileKind? KindOf(string path) =>
        path.Contains("..", StringComparison.Ordinal) ? null : Kinds.FirstOrDefault(k => k.Pattern.IsMatch(path)) is { Pattern: not null } k ? k.Kind : null;

    /// <summary>Every editable file that exists, module first, then lessons by topic, quizzes and assignments.</summary>
    public IReadOnlyList<EditableFile> Files()
    {
        var root = content.ContentRoot;
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Select(p => (Path: p, Kind: KindOf(p)))
            .Where(f => f.Kind is not null)
            .Select(f => new EditableFile(f.Path, f.Kind!.Value))
            .OrderBy(f => f.Kind).ThenBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The file's text and version; a new file (not yet on disk) opens empty with no version.</summary>
    public OpenedFile Open(string path)
    {
        var kind = Require(path);
        var full = Path.Combine(content.ContentRoot, path);
        return File.Exists(full)
            ? new OpenedFile(path, kind, File.ReadAllText(full), VersionOf(File.ReadAllBytes(full)))
            : new OpenedFile(path, kind, "", null);
    }

    /// <summary>Judges <paramref name="text"/> as the new content of <paramref name="path"/>; nothing is written.</summary>
    public EditCheck Check(string path, string text)
    {
        Require(path);
        if (TextLimits.Check(text, TextLimits.ContentFile, "the file") is { } tooLong)
        {
            return new EditCheck([new ContentError(path, 1, tooLong)], null);
        }
        ContentSnapshot snapshot;
        try
        {
            snapshot = content.LoadWith(new Dictionary<string, string> { [path] = text });
        }
        catch (ContentException ex)
        {
            return new EditCheck(ex.Errors, null);
        }
        // Errors the live content already has elsewhere are not this edit's doing and do not block it.
        var existing = content.Current.Errors.Where(e => e.File != path).Select(e => e.ToString()).ToHashSet();
        var errors = snapshot.Errors.Where(e => e.File == path || !existing.Contains(e.ToString()))
            .OrderBy(e => e.File != path).ThenBy(e => e.Line).ToList();
        if (KindOf(path) is ContentFileKind.Lesson or ContentFileKind.Quiz && !snapshot.Files.Any(f => f.SourcePath == path)
            && !snapshot.QuizFiles.Any(f => f.SourcePath == path))
        {
            errors.Insert(0, new ContentError(path, 1, "this file is not part of the module: lessons go in a topic folder named in module.yaml"));
        }
        return new EditCheck(errors, snapshot);
    }

    /// <summary>
    /// Saves <paramref name="text"/> when it validates and the file is still at <paramref name="baseVersion"/>
    /// (null: the file must not exist yet). The replaced version is kept and can be restored.
    /// </summary>
    public SaveOutcome Save(string path, string text, string? baseVersion)
    {
        var opened = Open(path);
        if (opened.Version != baseVersion)
        {
            return new SaveOutcome(false, opened.Version, [new ContentError(path, 1, opened.Version is null
                ? "the file was deleted since you opened it; save again to create it"
                : baseVersion is null
                    ? "a file with this name already exists: open it instead"
                    : "the file changed on disk since you opened it (another editor or a git pull): copy your text, reopen the file and apply your edit again")]);
        }
        var check = Check(path, text);
        if (!check.IsValid)
        {
            return new SaveOutcome(false, opened.Version, check.Errors);
        }

        var full = Path.Combine(content.ContentRoot, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (opened.Version is not null)
        {
            var history = Path.Combine(HistoryRoot, path);
            Directory.CreateDirectory(history);
            File.Copy(full, Path.Combine(history, $"{clock.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}-{opened.Version}{Path.GetExtension(path)}"), overwrite: true);
        }
        // A hidden temp name with an extension the watcher ignores; the rename replaces the file in one step.
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var bytes = Encoding.UTF8.GetBytes(text);
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
        content.Reload();
        return new SaveOutcome(true, VersionOf(bytes), []);
    }

    /// <summary>Versions kept for <paramref name="path"/>, newest first.</summary>
    public IReadOnlyList<PreviousVersion> PreviousVersions(string path)
    {
        Require(path);
        var history = Path.Combine(HistoryRoot, path);
        return Directory.Exists(history)
            ? Directory.EnumerateFiles(history).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).Reverse()
                .Select(id => new PreviousVersion(id, DateTimeOffset.ParseExact(id[..19], "yyyyMMdd'T'HHmmssfff'Z'", null,
                    System.Globalization.DateTimeStyles.AssumeUniversal)))
                .ToList()
            : [];
    }

    public string ReadPrevious(string path, string id)
    {
        Require(path);
        if (PreviousVersions(path).All(v => v.Id != id))
        {
            throw new ArgumentException($"no previous version '{id}' of {path}");
        }
        return File.ReadAllText(Path.Combine(HistoryRoot, path, id));
    }

    /// <summary>The saved quiz at <paramref name="path"/> in Moodle's GIFT format, with what GIFT cannot express reported.</summary>
    public GiftExport ExportGift(string path)
    {
        if (Require(path) != ContentFileKind.Quiz)
        {
            throw new ArgumentException($"only quizzes export to GIFT, not {path}");
        }
        return GiftExporter.Export(Open(path).Text, path, content.LoadOptions.ComputeKey);
    }

    /// <summary>
    /// GIFT text as the quiz Markdown of a new file <paramref name="path"/>, its id taken from the file name (an id
    /// carried by the GIFT would clash with the quiz it was exported from): nothing is written; the instructor reviews
    /// it in the editor and saves it.
    /// </summary>
    public GiftImport ImportGift(string gift, string path)
    {
        if (Require(path) != ContentFileKind.Quiz || Open(path).Version is not null)
        {
            throw new ArgumentException($"import into a new quiz file: '{path}' {(KindOf(path) == ContentFileKind.Quiz ? "already exists" : "is not quizzes/<name>.md")}");
        }
        TextLimits.Require(gift, TextLimits.ContentFile, "the GIFT text");
        return GiftImporter.Import(gift, QuizIdFor(path));
    }

    /// <summary>Files under content/ that differ from the last commit, for the instructor to commit.</summary>
    public ChangedFiles Changed()
    {
        var root = content.ContentRoot;
        var (top, topError) = Git(root, "rev-parse", "--show-toplevel");
        if (topError is not null)
        {
            return new ChangedFiles([], topError);
        }
        var (status, statusError) = Git(root, "-c", "core.quotepath=off", "status", "--porcelain=v1", "--untracked-files=all", "--", ".");
        if (statusError is not null)
        {
            return new ChangedFiles([], statusError);
        }
        var files = status.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Status: line[..2].Trim(), Path: Path.GetRelativePath(root, Path.Combine(top.Trim(), line[3..].Split(" -> ")[^1])).Replace('\\', '/')))
            .ToList();
        return new ChangedFiles(files, null);
    }

    private static (string Output, string? Error) Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        try
        {
            using var git = Process.Start(start)!;
            var output = git.StandardOutput.ReadToEndAsync();
            var error = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                git.Kill();
                return ("", "git did not answer within 10 s");
            }
            return git.ExitCode == 0 ? (output.Result, null) : ("", $"content/ is not in a git checkout ({error.Result.Trim()})");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return ("", "git is not installed, so changed files cannot be listed");
        }
    }

    private static string QuizIdFor(string path) => QuizIdCharacters().Replace(Path.GetFileNameWithoutExtension(path), "-").Trim('-');

    [GeneratedRegex("[^a-z0-9-]+", RegexOptions.NonBacktracking)]
    private static partial Regex QuizIdCharacters();

    private static ContentFileKind Require(string path) => KindOf(path)
        ?? throw new ArgumentException($"'{path}' is not an editable content file (module.yaml, topics/<topic>/<name>.md, quizzes/<name>.md, assignments/<id>/assignment.md or starter.yaml)");

    private static string VersionOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
}
