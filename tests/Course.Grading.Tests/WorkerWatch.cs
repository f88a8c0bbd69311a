using System.Diagnostics;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

using Course.Tests.Shared;

namespace Course.Grading.Tests;

/// <summary>
/// Waits for a grading worker's row in <c>GradingWorkers</c> to meet a condition, as <see cref="JobWatch"/> waits for
/// jobs: for as long as the worker keeps beating (its row changes), failing only when the row has not changed for
/// <see cref="JobWatch.StallLimit"/> or the worker's loop has ended.
/// </summary>
public sealed class WorkerWatch(IDbContextFactory<CourseDbContext> databases, Task worker)
{
    public async Task<WorkerRegistration> UntilAsync(string id, Func<WorkerRegistration, bool> condition)
    {
        var lastChange = Stopwatch.StartNew();
        string? lastState = null;
        while (true)
        {
            await using (var db = await databases.CreateDbContextAsync())
            {
                var row = await db.GradingWorkers.AsNoTracking().SingleOrDefaultAsync(w => w.Id == id);
                if (row is not null && condition(row))
                {
                    return row;
                }
                var state = row is null ? "" : $"{row.LastHeartbeatAt:O}/{row.CurrentSubmissionId}/{row.StoppedAt:O}";
                if (state != lastState)
                {
                    (lastState, lastChange) = (state, Stopwatch.StartNew());
                }
                else if (lastChange.Elapsed > JobWatch.StallLimit)
                {
                    throw new TimeoutException($"worker {id}'s row did not change for {JobWatch.StallLimit}: {state}");
                }
                if (worker.IsCompleted)
                {
                    await worker; // its exception, if it died
                    throw new InvalidOperationException($"worker {id} stopped while the test waited on its row: {state}");
                }
            }
            await Task.Delay(200);
        }
    }
}
