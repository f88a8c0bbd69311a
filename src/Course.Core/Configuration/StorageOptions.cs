using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Core.Configuration;

/// <summary>
/// The <c>Storage</c> section: the one folder that web nodes and workers on several machines share (a network disk),
/// beside the database. A section of its own rather than part of <see cref="DataOptions"/>: <c>Data:Path</c> holds
/// each node's own runtime data (a SQLite database, logs, backups), which must not be shared.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// When set (absolute, or relative to the repository root), the shared folders live in it under fixed names:
    /// <see cref="ContentFolder"/> (<c>Content:Path</c>), <see cref="HubFolder"/> (<c>Ml:HubPath</c>, kept submission
    /// weights included), <see cref="HiddenFolder"/> (instructors' uploaded hidden splits) and <see cref="CheckpointsFolder"/>
    /// (<c>Grading:CheckpointPath</c>); a path setting given explicitly still wins. Unset: every folder is where its own setting's default puts it.
    /// </summary>
    public string? SharedPath { get; set; }

    public const string ContentFolder = "content";
    public const string HubFolder = "hub";
    public const string HiddenFolder = "hidden";
    public const string CheckpointsFolder = "checkpoints";

    /// <summary><paramref name="folder"/> inside <see cref="SharedPath"/>, or null when no shared path is set.</summary>
    public string? SharedFolder(string folder) => string.IsNullOrWhiteSpace(SharedPath) ? null : Path.Combine(SharedPath, folder);

    /// <summary>A shared path that does not exist or that this process cannot write stops it, naming the setting.</summary>
    public sealed class Validation(CourseEnvironment course) : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            if (string.IsNullOrWhiteSpace(options.SharedPath))
            {
                return ValidateOptionsResult.Success;
            }
            var path = course.Resolve(options.SharedPath);
            if (!Directory.Exists(path))
            {
                return ValidateOptionsResult.Fail(
                    $"{Section}:{nameof(SharedPath)} is '{options.SharedPath}', and {path} does not exist: mount the folder every web node and worker shares there, or remove the setting.");
            }
            var probe = Path.Combine(path, $".write-check-{Guid.NewGuid():N}");
            try
            {
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
                return ValidateOptionsResult.Success;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return ValidateOptionsResult.Fail(
                    $"{Section}:{nameof(SharedPath)} is '{options.SharedPath}', and this process cannot write in {path} ({ex.Message}): give its user write access, or remove the setting.");
            }
        }
    }
}

public static class StorageOptionsExtensions
{
    /// <summary>
    /// Puts the folder that <paramref name="key"/> sets in <paramref name="folder"/> of <c>Storage:SharedPath</c> when the
    /// configuration does not set <paramref name="key"/> itself; every process kind registers its options through this,
    /// so the site, its workers, <c>./course worker</c> and the CLI find the same folders.
    /// </summary>
    public static OptionsBuilder<T> InSharedStorage<T>(this OptionsBuilder<T> options, string key, string folder, Action<T, string> set) where T : class =>
        options.PostConfigure<IConfiguration, IOptions<StorageOptions>>((value, configuration, storage) =>
        {
            if (configuration[key] is null && storage.Value.SharedFolder(folder) is { } shared)
            {
                set(value, shared);
            }
        });
}
