using Microsoft.Data.Sqlite;
using Npgsql;

namespace Course.Core.Data;

/// <summary>
/// Failures that pass when the database comes back, as opposed to bugs and refusals, which do not: a grading worker
/// waits the first out with backoff and stops on the second.
/// </summary>
public static class TransientDatabaseFailure
{
    /// <summary>
    /// PostgreSQL's connection failures: class 08 (connection exception), the server shutting down or starting
    /// (57P01 admin, 57P02 crash, 57P03 cannot connect now) and too many connections (53300).
    /// </summary>
    private static readonly HashSet<string> PostgresStates = ["57P01", "57P02", "57P03", "53300"];

    /// <summary>
    /// True for Npgsql's transient errors (the connection refused, reset or timed out; the server ending sessions while
    /// it stops) and SQLite's busy / locked, looked for through the exception's inner ones (EF Core wraps them).
    /// </summary>
    public static bool Is(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || PostgresStates.Contains(pg.SqlState) || pg.IsTransient,
        NpgsqlException npgsql => npgsql.IsTransient,
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is 5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */,
        _ => ex.InnerException is { } inner && Is(inner),
    };
}
