namespace Course.Core.Data;

/// <summary>The database engines the platform runs on.</summary>
public enum DatabaseProvider
{
    /// <summary>One file beside the site (<c>data/course.db</c>): nothing to install, one machine.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server that several site nodes and grading workers on other machines share.</summary>
    PostgreSQL,
}

/// <summary>
/// The <c>Database</c> section, read alike by the site, the workers and the CLI. The connection string itself is
/// <c>ConnectionStrings:Course</c>, or the file named by <c>ConnectionStrings:CourseFile</c> (a secret kept off
/// command lines and out of appsettings.json).
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// Whether the site and the CLI's verbs migrate and seed the database themselves when they start, as
    /// <c>./course migrate</c> does. Unset, it follows the provider: on for the embedded SQLite file (so
    /// <c>./course run</c> on a fresh clone just works), off for PostgreSQL, where migrating is a deployment step and
    /// every process refuses to start against a database that <c>./course migrate</c> has not brought up to date.
    /// Grading workers never migrate.
    /// </summary>
    public bool? MigrateAtStart { get; set; }

    public bool MigratesAtStart => MigrateAtStart ?? Provider == DatabaseProvider.Sqlite;
}
