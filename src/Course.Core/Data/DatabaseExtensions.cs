using System.Diagnostics;
using Course.Core.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Course.Core.Data;

public static class DatabaseExtensions
{
    public const string ConnectionStringName = "Course";

    /// <summary><c>ConnectionStrings:CourseFile</c>: a file holding the connection string (a remote worker's secret).</summary>
    public const string ConnectionStringFileName = ConnectionStringName + "File";

    /// <summary>
    /// The assembly holding the PostgreSQL migrations (EF Core's one migrations assembly per provider); SQLite's
    /// are Course.Core's own (<c>Data/Migrations</c>).
    /// </summary>
    public const string PostgreSqlMigrationsAssembly = "Course.Migrations.PostgreSQL";

    /// <summary>
    /// Registers <see cref="DatabaseOptions"/> and <see cref="IDbContextFactory{CourseDbContext}"/> on the database
    /// that <c>Database:Provider</c> and the connection string name. Both are read from the container's
    /// <see cref="IConfiguration"/> when a context is first made, so a host's test overrides (set after registration)
    /// decide which database it opens.
    /// </summary>
    public static IServiceCollection AddCourseDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        services.AddDbContextFactory<CourseDbContext>((provider, options) =>
        {
            var database = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            options.UseCourseDatabase(database.Provider,
                ResolveConnectionString(provider.GetRequiredService<IConfiguration>(), provider.GetRequiredService<CourseEnvironment>(), database.Provider));
        });
        return services;
    }

    /// <summary>The provider and its migrations: the one place a context is pointed at an engine (the design-time factory too).</summary>
    public static DbContextOptionsBuilder UseCourseDatabase(this DbContextOptionsBuilder options, DatabaseProvider provider, string connectionString) =>
        provider switch
        {
            DatabaseProvider.Sqlite => options.UseSqlite(connectionString),
            DatabaseProvider.PostgreSQL => options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgreSqlMigrationsAssembly)),
            _ => throw new InvalidOperationException($"{DatabaseOptions.Section}:Provider must be Sqlite or PostgreSQL, not {provider}."),
        };

    /// <summary>
    /// The connection string: the content of the file <c>ConnectionStrings:CourseFile</c> names when set (it wins over
    /// appsettings.json's default), else <c>ConnectionStrings:Course</c>. A SQLite path is resolved against the
    /// repository root and created owner-only.
    /// </summary>
    public static string ResolveConnectionString(IConfiguration configuration, CourseEnvironment environment, DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        var configured = configuration.GetConnectionString(ConnectionStringFileName) is { Length: > 0 } file
            ? ReadConnectionStringFile(environment.Resolve(file))
            : configuration.GetConnectionString(ConnectionStringName)
              ?? throw new InvalidOperationException($"appsettings.json needs ConnectionStrings:{ConnectionStringName}.");
        if (provider != DatabaseProvider.Sqlite)
        {
            return configured;
        }
        var builder = new SqliteConnectionStringBuilder(configured);
        if (builder.DataSource is { Length: > 0 } source && source != ":memory:" && !source.StartsWith("file:", StringComparison.Ordinal))
        {
            builder.DataSource = environment.Resolve(source);
            // Created owner-only before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
            OwnerOnly.CreateFolder(Path.GetDirectoryName(builder.DataSource)!);
            OwnerOnly.CreateFile(builder.DataSource);
        }
        return builder.ToString();
    }

    private static string ReadConnectionStringFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path}: the connection string file (ConnectionStrings:{ConnectionStringFileName}) does not exist.");
        }
        var text = File.ReadAllText(path).Trim();
        return text.Length > 0 ? text : throw new InvalidOperationException($"{path}:1: the connection string file is empty.");
    }

    /// <summary>
    /// Applies migrations under <see cref="MigrationLock"/>, so concurrent calls (two <c>./course migrate</c>, a site
    /// and a CLI verb) take turns, and switches a SQLite file to WAL so readers never block the writer. Returns the
    /// migrations it applied.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(this IDbContextFactory<CourseDbContext> factory, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var held = await MigrationLock.AcquireAsync(db, cancellationToken);
        return await ApplyMigrationsAsync(db, cancellationToken);
    }

    /// <summary>The migrations and WAL, for a caller holding <see cref="MigrationLock"/>.</summary>
    internal static async Task<IReadOnlyList<string>> ApplyMigrationsAsync(CourseDbContext db, CancellationToken cancellationToken)
    {
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        return pending;
    }

    /// <summary>
    /// Refuses a database that lacks migrations this build knows (never migrated, or migrated by an older build),
    /// with what to run; a worker or a site that runs against it would fail on the first query that meets the gap.
    /// </summary>
    public static async Task EnsureMigratedAsync(this IDbContextFactory<CourseDbContext> factory, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        List<string> pending;
        try
        {
            pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new DatabaseNotMigratedException($"The PostgreSQL database {Describe(db)} does not exist. Run `./course migrate` (with this configuration) first.");
        }
        if (pending.Count > 0)
        {
            var all = db.Database.GetMigrations().Count();
            throw new DatabaseNotMigratedException(
                $"The {(db.Database.IsNpgsql() ? "PostgreSQL" : "SQLite")} database {Describe(db)} is not migrated: {pending.Count} of {all} migrations " +
                $"are pending (the first is {pending[0]}). Run `./course migrate` (with this configuration) first.");
        }
    }

    /// <summary>Where a context points, without credentials: a SQLite file, or PostgreSQL's database@host:port.</summary>
    public static string Describe(CourseDbContext db)
    {
        var connectionString = db.Database.GetConnectionString();
        if (db.Database.IsNpgsql())
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Database}@{builder.Host}:{builder.Port}";
        }
        return new SqliteConnectionStringBuilder(connectionString).DataSource;
    }

    /// <summary>
    /// Writes a consistent copy of the live database to <paramref name="destination"/> while the site and workers keep
    /// writing: SQLite's <c>VACUUM INTO</c> (one snapshot), or PostgreSQL's <c>pg_dump</c> (one transaction; custom
    /// format, for <c>pg_restore</c>), which gets its credentials through the environment, never its command line.
    /// </summary>
    public static async Task BackupAsync(this IDbContextFactory<CourseDbContext> factory, string destination, CancellationToken cancellationToken = default)
    {
        if (File.Exists(destination))
        {
            throw new IOException($"{destination} already exists; a backup never overwrites a file.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await PgDumpAsync(new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()), destination, cancellationToken);
            return;
        }
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO $path";
        command.Parameters.AddWithValue("$path", destination);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task PgDumpAsync(NpgsqlConnectionStringBuilder connection, string destination, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(PgTools.Find("pg_dump"))
        {
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { "--format=custom", "--no-password", $"--file={destination}" },
        };
        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = connection.Database;
        start.Environment["PGUSER"] = connection.Username;
        if (connection.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_dump did not start.");
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            File.Delete(destination);
            throw new InvalidOperationException($"pg_dump failed (exit code {process.ExitCode}): {errors.Trim()}");
        }
    }
}

/// <summary>The database lacks migrations this build needs; the message says what to run (the CLI prints it as an <c>error:</c> line).</summary>
public sealed class DatabaseNotMigratedException(string message) : InvalidOperationException(message);

/// <summary>
/// PostgreSQL's programs: Debian's versioned folders first (the newest wins: pg_dump must be at least the server's
/// version, and initdb and pg_ctl are not on Debian's PATH), else PATH.
/// </summary>
public static class PgTools
{
    public static string Find(string program)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists);
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", program)).Where(File.Exists)
                .OrderByDescending(p => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), out var v) ? v : 0).FirstOrDefault()
            : null;
        return debian ?? onPath
            ?? throw new InvalidOperationException($"{program} was not found on PATH or under /usr/lib/postgresql/*/bin; install Debian's postgresql-client.");
    }
}
