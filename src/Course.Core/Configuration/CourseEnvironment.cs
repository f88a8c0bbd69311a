using Microsoft.Extensions.Configuration;

namespace Course.Core.Configuration;

/// <summary>
/// Where the course lives on disk. The site, the grading worker and the CLI all read the one
/// <c>appsettings.json</c> at the repository root, and relative paths in it resolve against that root,
/// so the three agree on the database, the content and the model hub whatever their working folder.
/// </summary>
public sealed class CourseEnvironment(string root)
{
    public const string RootVariable = "COURSE_ROOT";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Absolute path for a setting that may be relative to the repository root.</summary>
    public string Resolve(string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(Root, path));

    /// <summary>
    /// The root is <c>$COURSE_ROOT</c> when set; otherwise the nearest folder above the working
    /// directory, then above the program's own folder, holding both <c>appsettings.json</c> and
    /// <c>content/</c>.
    /// </summary>
    public static CourseEnvironment Discover()
    {
        var fromVariable = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrWhiteSpace(fromVariable))
        {
            return new CourseEnvironment(fromVariable);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "appsettings.json")) &&
                    Directory.Exists(Path.Combine(dir.FullName, "content")))
                {
                    return new CourseEnvironment(dir.FullName);
                }
            }
        }

        throw new InvalidOperationException(
            $"Cannot find the course root (a folder with appsettings.json and content/) above " +
            $"'{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'. Set {RootVariable}.");
    }
}

public static class CourseConfigurationExtensions
{
    /// <summary>
    /// Replaces the default sources with the repository's: root appsettings.json, an optional
    /// appsettings.{Environment}.json beside it, environment variables, then the command line.
    /// </summary>
    public static IConfigurationBuilder AddCourseConfiguration(
        this IConfigurationBuilder configuration, CourseEnvironment course, string environmentName, string[] args)
    {
        configuration.Sources.Clear();
        configuration
            .AddJsonFile(Path.Combine(course.Root, "appsettings.json"), optional: false, reloadOnChange: false)
            .AddJsonFile(Path.Combine(course.Root, $"appsettings.{environmentName}.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        return configuration;
    }
}
