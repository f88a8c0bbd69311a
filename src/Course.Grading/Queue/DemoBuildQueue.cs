using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Queue;

/// <summary>
/// The demo-model builds in the database (<c>DemoBuilds</c>), one row per model, with the submissions' rules: every
/// transition is one conditional statement, the lease runs on the database's clock, only the lease holder records
/// the end, and the reaper re-queues a build whose worker went silent (a rebuild is safe: the hub stages it in
/// <c>&lt;id&gt;.partial</c> under the model's install lock), up to <see cref="SubmissionQueue.MaxAttempts"/> starts.
/// </summary>
public sealed class DemoBuildQueue(IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
{
    /// <summary>
    /// Queues the builds of <paramref name="missing"/> (hub id, place in the demo list): a model without a row gets one,
    /// a finished row is queued again (its model is missing, so it was deleted or its build failed), a queued or
    /// running one is left alone. One statement per model keyed by its id, so nodes starting together make one row each.
    /// </summary>
    /// <returns>How many builds were queued.</returns>
    public async Task<int> EnqueueAsync(IEnumerable<(string ModelId, int Position)> missing, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        var queued = 0;
        foreach (var (modelId, position) in missing)
        {
            queued += await db.Database.ExecuteSqlRawAsync($$"""
                INSERT INTO "DemoBuilds" ("ModelId", "Position", "State", "Attempts", "CreatedAt") VALUES ({0}, {1}, 'Queued', 0, {{time.Now}})
                ON CONFLICT ("ModelId") DO UPDATE SET "State" = 'Queued', "Position" = excluded."Position", "Attempts" = 0, "Error" = NULL,
                    "ProgressJson" = NULL, "CreatedAt" = excluded."CreatedAt", "StartedAt" = NULL, "FinishedAt" = NULL
                WHERE "DemoBuilds"."State" IN ('Succeeded', 'Failed')
                """, [modelId, position], cancellationToken);
        }
        return queued;
    }

    /// <summary>Claims the first queued build in the demo list's order for <paramref name="worker"/>, or null; as <see cref="SubmissionQueue.ClaimAsync"/>.</summary>
    public async Task<DemoBuild?> ClaimAsync(string worker, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        var claimed = await db.DemoBuilds.FromSqlRaw($$"""
            UPDATE "DemoBuilds" SET "State" = 'Running', "LeaseOwner" = {0}, "LeaseExpiresAt" = {{time.After("{1}")}},
                "Attempts" = "Attempts" + 1, "StartedAt" = COALESCE("StartedAt", {{time.Now}})
            WHERE "ModelId" = (SELECT "ModelId" FROM "DemoBuilds" WHERE "State" = 'Queued' ORDER BY "Position", "ModelId" LIMIT 1 {{time.SkipLocked}})
            RETURNING *
            """, worker, time.Lease(lease)).AsNoTracking().ToListAsync(cancellationToken);
        return claimed.SingleOrDefault();
    }

    /// <summary>Renews the lease and stores progress; false when the build is no longer this worker's (the reaper gave it away).</summary>
    public async Task<bool> HeartbeatAsync(string modelId, string worker, TimeSpan lease, string progressJson, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        return await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "DemoBuilds" SET "LeaseExpiresAt" = {{time.After("{2}")}}, "ProgressJson" = {3}
            WHERE "ModelId" = {0} AND "LeaseOwner" = {1} AND "State" = 'Running'
            """, [modelId, worker, time.Lease(lease), progressJson], cancellationToken) == 1;
    }

    /// <summary>Records the end (null <paramref name="error"/>: built); only the lease holder of the running build can.</summary>
    public async Task<bool> FinishAsync(string modelId, string worker, string? error, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var (now, state) = (clock.GetUtcNow(), error is null ? DemoBuildState.Succeeded : DemoBuildState.Failed);
        return await db.DemoBuilds.Where(b => b.ModelId == modelId && b.LeaseOwner == worker && b.State == DemoBuildState.Running).ExecuteUpdateAsync(u => u
            .SetProperty(b => b.State, state)
            .SetProperty(b => b.Error, error)
            .SetProperty(b => b.FinishedAt, now)
            .SetProperty(b => b.LeaseOwner, (string?)null)
            .SetProperty(b => b.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken) == 1;
    }

    /// <summary>Hands a build back to the queue (its worker is stopping); the start still counts in <see cref="DemoBuild.Attempts"/>.</summary>
    public async Task ReleaseAsync(string modelId, string worker, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.DemoBuilds.Where(b => b.ModelId == modelId && b.LeaseOwner == worker && b.State == DemoBuildState.Running).ExecuteUpdateAsync(u => u
            .SetProperty(b => b.State, DemoBuildState.Queued)
            .SetProperty(b => b.LeaseOwner, (string?)null)
            .SetProperty(b => b.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
    }

    /// <summary>Re-queues the running builds whose lease expired by the database's clock (their worker died); after <see cref="SubmissionQueue.MaxAttempts"/> starts they fail.</summary>
    public async Task<int> ReapAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        return await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "DemoBuilds" SET "State" = CASE WHEN "Attempts" >= {0} THEN 'Failed' ELSE 'Queued' END,
                "Error" = CASE WHEN "Attempts" >= {0} THEN {1} ELSE NULL END,
                "FinishedAt" = CASE WHEN "Attempts" >= {0} THEN {{time.Now}} ELSE NULL END, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL
            WHERE "State" = 'Running' AND "LeaseExpiresAt" < {{time.Now}}
            """, [SubmissionQueue.MaxAttempts, $"The worker building it stopped {SubmissionQueue.MaxAttempts} times."], cancellationToken);
    }

    /// <summary>Every build row, in the demo list's order: what the site shows.</summary>
    public async Task<IReadOnlyList<DemoBuild>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.DemoBuilds.AsNoTracking().OrderBy(b => b.Position).ThenBy(b => b.ModelId).ToListAsync(cancellationToken);
    }
}
