using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Course.Core.Data;

/// <summary>
/// Held while a process migrates and seeds, so concurrent <c>./course migrate</c> calls (or a site and a CLI verb
/// starting together) take turns: the second finds nothing left to apply and the seed already there. EF Core's own
/// migration lock covers the migrations only, not the roles and the first instructor after them.
/// </summary>
public static class MigrationLock
{
    /// <summary>The key of PostgreSQL's session-level advisory lock: "course" in ASCII, arbitrary but fixed.</summary>
    public const long AdvisoryKey = 0x636f75727365;

    public static async Task<IAsyncDisposable> AcquireAsync(CourseDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            return await AdvisoryLock.AcquireAsync(db, cancellationToken);
        }
        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        // An in-memory database belongs to one connection of one process: nobody to take turns with.
        return file is { Length: > 0 } && file != ":memory:" && !file.StartsWith("file:", StringComparison.Ordinal)
            ? await FileLock.AcquireAsync(file + ".migrate-lock", cancellationToken)
            : NoLock.Instance;
    }

    /// <summary><c>pg_advisory_lock</c> on a connection of its own, held until disposed (or the session ends).</summary>
    private sealed class AdvisoryLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public static async Task<AdvisoryLock> AcquireAsync(CourseDbContext db, CancellationToken cancellationToken)
        {
            // The lock lives in the database, so the database must exist first; two processes creating it race, and
            // the loser finds it there.
            var creator = db.GetService<IRelationalDatabaseCreator>();
            if (!await creator.ExistsAsync(cancellationToken))
            {
                try
                {
                    await creator.CreateAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                }
            }
            var connection = new NpgsqlConnection(db.Database.GetConnectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { Parameters = { new("key", AdvisoryKey) } };
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new AdvisoryLock(connection);
        }

        public async ValueTask DisposeAsync()
        {
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection) { Parameters = { new("key", AdvisoryKey) } })
            {
                await command.ExecuteNonQueryAsync();
            }
            await connection.DisposeAsync();
        }
    }

    /// <summary>An exclusive lock (flock) on a file beside the database; the kernel drops it if the process dies.</summary>
    private sealed class FileLock(FileStream stream) : IAsyncDisposable
    {
        public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
        {
            for (var wait = TimeSpan.FromMilliseconds(50); ; wait = TimeSpan.FromMilliseconds(Math.Min(1000, wait.TotalMilliseconds * 2)))
            {
                try
                {
                    // FileShare.None is an exclusive flock on Unix: a second holder, in this process or another, is refused.
                    return new FileLock(new FileStream(path, new FileStreamOptions
                    {
                        Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None,
                        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    }));
                }
                catch (IOException) when (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
