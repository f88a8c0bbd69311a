using Course.Core.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Core.Data;

public static class DatabaseExtensions
{
    public const string ConnectionStringName = "Course";

    /// <summary>
    /// Registers <see cref="IDbContextFactory{CourseDbContext}"/> on the database named by
    /// <c>ConnectionStrings:Course</c>, a relative SQLite path resolved against the repository root. The connection
    /// string is read from the container's <see cref="IConfiguration"/> when a context is first made, so a host's
    /// test overrides (set after registration) decide which file it opens.
    /// </summary>
    public static IServiceCollection AddCourseDatabase(this IServiceCollection services)
    {
        services.AddDbContextFactory<CourseDbContext>((provider, options) => options.UseSqlite(
            ResolveConnectionString(provider.GetRequiredService<IConfiguration>(), provider.GetRequiredService<CourseEnvironment>())));
        return services;
    }

    public static string ResolveConnectionString(IConfiguration configuration, CourseEnvironment environment)
    {
        var configured = configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"appsettings.json needs ConnectionStrings:{ConnectionStringName}.");
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

    /// <summary>Applies migrations and switches the file to WAL so readers never block the writer.</summary>
    public static async Task MigrateAsync(this IDbContextFactory<CourseDbContext> factory, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    /// <summary>
    /// Writes a consistent copy of the live database to <paramref name="destination"/> with SQLite's
    /// <c>VACUUM INTO</c>, which reads one snapshot even while the site and workers keep writing.
    /// </summary>
    public static async Task BackupAsync(this IDbContextFactory<CourseDbContext> factory, string destination, CancellationToken cancellationToken = default)
    {
        if (File.Exists(destination))
        {
            throw new IOException($"{destination} already exists; a backup never overwrites a file.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO $path";
        command.Parameters.AddWithValue("$path", destination);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
