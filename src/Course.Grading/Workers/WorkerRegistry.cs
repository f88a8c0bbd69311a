using Course.Core.Data;
using Course.Grading.Queue;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Workers;

/// <summary>
/// The <c>GradingWorkers</c> table from the workers' side: a worker registers at its start, reports on every heartbeat
/// (with the job it runs, or none) and marks itself stopped on a clean shutdown. Each write is one statement stamped
/// with the database's clock, as leases are, so workers on machines whose clocks disagree are judged alike.
/// </summary>
public sealed class WorkerRegistry(IDbContextFactory<CourseDbContext> databases)
{
    /// <summary>
    /// How long the rows of workers that stopped or were lost stay listed: a week, so a worker that died on a Friday
    /// night is still on the page on Monday; a worker's row is renewed every heartbeat, so only silent ones go.
    /// </summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    /// <summary>Writes the worker's row afresh (a restarted process with the same id starts a new row), idle and running.</summary>
    public Task RegisterAsync(WorkerRegistration worker, CancellationToken cancellationToken = default) =>
        UpsertAsync(worker, current: null, demo: null,
            """
            "StartedAt" = excluded."StartedAt", "Host" = excluded."Host", "ProcessId" = excluded."ProcessId", "Device" = excluded."Device", "Queues" = excluded."Queues",
            """ + " ", cancellationToken);

    /// <summary>
    /// The heartbeat: now alive, running the submission <paramref name="current"/> or building the demo model
    /// <paramref name="demo"/> (both null: idle). An upsert, so a worker whose row was pruned while the database was out
    /// of its reach is listed again.
    /// </summary>
    public Task BeatAsync(WorkerRegistration worker, long? current, string? demo = null, CancellationToken cancellationToken = default) =>
        UpsertAsync(worker, current, demo, "", cancellationToken);

    private async Task UpsertAsync(WorkerRegistration worker, long? current, string? demo, string alsoSet, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        // {0} id … {4} queues, {5} the current job, {6} the demo model (a literal NULL when idle: a null parameter has no type to bind).
        var job = current is null ? "NULL" : "{5}";
        var building = demo is null ? "NULL" : "{6}";
        await db.Database.ExecuteSqlRawAsync($$"""
            INSERT INTO "GradingWorkers" ("Id", "Host", "ProcessId", "Device", "Queues", "StartedAt", "LastHeartbeatAt", "CurrentSubmissionId", "CurrentDemoModelId", "StoppedAt")
            VALUES ({0}, {1}, {2}, {3}, {4}, {{time.Now}}, {{time.Now}}, {{job}}, {{building}}, NULL)
            ON CONFLICT ("Id") DO UPDATE SET {{alsoSet}}"LastHeartbeatAt" = excluded."LastHeartbeatAt",
                "CurrentSubmissionId" = excluded."CurrentSubmissionId", "CurrentDemoModelId" = excluded."CurrentDemoModelId", "StoppedAt" = NULL
            """, [worker.Id, worker.Host, worker.ProcessId, worker.Device, worker.Queues, current ?? 0L, demo ?? ""], cancellationToken);
    }

    /// <summary>A clean shutdown: stopped now, running nothing.</summary>
    public async Task StopAsync(string workerId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "GradingWorkers" SET "StoppedAt" = {{time.Now}}, "LastHeartbeatAt" = {{time.Now}}, "CurrentSubmissionId" = NULL, "CurrentDemoModelId" = NULL WHERE "Id" = {0}
            """, [workerId], cancellationToken);
    }

    /// <summary>Deletes the rows silent for longer than <see cref="Retention"/> (a stopped worker's last write is its stop); returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        return await db.Database.ExecuteSqlRawAsync($$"""
            DELETE FROM "GradingWorkers" WHERE "LastHeartbeatAt" < {{time.After("{0}")}}
            """, [time.Lease(-Retention)], cancellationToken);
    }
}
