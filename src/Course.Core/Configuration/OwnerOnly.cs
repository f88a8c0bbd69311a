namespace Course.Core.Configuration;

/// <summary>
/// Files only the site's own account may read: the database, the data-protection keys, the generated
/// instructor password. Created owner-only (0600, folders 0700) rather than with the umask's usual 0644,
/// and narrowed to that when they already exist. Windows keeps its inherited ACLs.
/// </summary>
public static class OwnerOnly
{
    public const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode FolderPermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the folder (missing parents too) as 0700, or narrows an existing one; returns its path.</summary>
    public static string CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else if (!Directory.Exists(path))
        {
            // The mode given to CreateDirectory applies to the last folder only; missing parents are created alike.
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent && !Directory.Exists(parent))
            {
                CreateFolder(parent);
            }
            Directory.CreateDirectory(path, FolderPermissions);
        }
        else
        {
            System.IO.File.SetUnixFileMode(path, FolderPermissions);
        }
        return path;
    }

    /// <summary>Creates an empty file as 0600 when missing, or narrows an existing one to 0600.</summary>
    public static void CreateFile(string path)
    {
        try
        {
            using var _ = Open(path, FileMode.CreateNew);
            return;
        }
        catch (IOException) when (System.IO.File.Exists(path))
        {
            // There already, or created by another process between two calls (two `migrate`s at once): narrowed below.
        }
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, FilePermissions);
        }
    }

    /// <summary>Writes the file as 0600 from its first byte (created with that mode, never loosened then narrowed).</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken = default)
    {
        CreateFile(path);
        await using var stream = Open(path, FileMode.Truncate);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(text.AsMemory(), cancellationToken);
    }

    private static FileStream Open(string path, FileMode mode) => new(path, new FileStreamOptions
    {
        Mode = mode,
        Access = FileAccess.Write,
        UnixCreateMode = mode == FileMode.CreateNew && !OperatingSystem.IsWindows() ? FilePermissions : null,
    });
}
