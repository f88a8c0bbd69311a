using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Course.Tests.Shared;

/// <summary>Counts the database commands EF Core executes through the contexts it is added to (queries and writes alike).</summary>
public sealed class CommandCounter : DbCommandInterceptor
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) => Counted(result);

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Counted(result));

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result) => Counted(result);

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Counted(result));

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result) => Counted(result);

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Counted(result));

    private T Counted<T>(T result)
    {
        Interlocked.Increment(ref _count);
        return result;
    }
}
