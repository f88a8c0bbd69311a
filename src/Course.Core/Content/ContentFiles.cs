namespace Course.Core.Content;

/// <summary>
/// The files of a content folder as loading sees them: the disk, with unsaved edits laid over it. The editor
/// validates an edit by loading the whole module through this view, so cross-file rules (lesson order, links,
/// quiz ids) judge the edit exactly as they will judge the saved file.
/// </summary>
/// <param name="overrides">Content-relative paths ('/' separators) and the text to read instead of the disk.</param>
public sealed class ContentFiles(string root, IReadOnlyDictionary<string, string>? overrides = null)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public bool Exists(string relative) => overrides?.ContainsKey(relative) == true || File.Exists(FullPath(relative));

    public string ReadAllText(string relative) =>
        overrides is not null && overrides.TryGetValue(relative, out var text) ? text : File.ReadAllText(FullPath(relative));

    /// <summary>Content-relative paths of the files directly in <paramref name="folder"/> with <paramref name="extension"/>, new ones included, in ordinal order.</summary>
    public IReadOnlyList<string> List(string folder, string extension)
    {
        var onDisk = Directory.Exists(FullPath(folder))
            ? Directory.EnumerateFiles(FullPath(folder), "*" + extension).Select(f => $"{folder}/{Path.GetFileName(f)}")
            : [];
        var added = (overrides?.Keys ?? []).Where(k => Path.GetDirectoryName(k)?.Replace('\\', '/') == folder && k.EndsWith(extension, StringComparison.Ordinal));
        return onDisk.Concat(added).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }
}
