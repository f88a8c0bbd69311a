using System.Diagnostics;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Tests.Shared;

/// <summary>
/// Waits for grading jobs without a deadline sized for a quiet machine: a wait lasts as long as the queue makes
/// progress (some job's status, lease, progress or log changes; a live worker renews its lease every heartbeat),
/// and fails only when nothing in the queue has changed for <see cref="StallLimit"/>, or a watched worker
/// process has exited: a hung or dead worker, not a slow machine.
/// </summary>
public sealed class JobWatch(IDbContextFactory<CourseDbContext> databases, params Process[] workers)
{
    public static readonly TimeSpan StallLimit = TimeSpan.FromMinutes(10);

    public async Task<Submission> UntilAsync(long id, Func<Submission, bool> condition)
    {
        var lastChange = Stopwatch.StartNew();
        string? lastState = null;
        while (true)
        {
            await using (var db = await databases.CreateDbContextAsync())
            {
                var jobs = await db.Submissions.AsNoTracking().OrderBy(s => s.Id).ToListAsync();
                var job = jobs.Single(s => s.Id == id);
                if (condition(job))
                {
                    return job;
                }
                var state = string.Join('|', jobs.Select(s => $"{s.Status}/{s.LeaseExpiresAt:O}/{s.ProgressJson?.Length}/{s.Log.Length}"));
                if (state != lastState)
                {
                    lastState = state;
                    lastChange.Restart();
                }
                else if (lastChange.Elapsed > StallLimit)
                {
                    throw new TimeoutException($"the queue made no progress for {StallLimit}; submission {id} is {job.Status}: {job.Error} {job.Log}");
                }
                if (workers.FirstOrDefault(w => w.HasExited) is { } exited)
                {
                    throw new InvalidOperationException($"worker {exited.Id} exited with code {exited.ExitCode} while submission {id} was {job.Status}: {job.Log}");
                }
            }
            await Task.Delay(200);
        }
    }
}
