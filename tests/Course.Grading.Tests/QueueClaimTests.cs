using System.Collections.Concurrent;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Tests;

/// <summary>The claim on the database's terms: one statement, the database's clock, named queues.</summary>
public abstract partial class QueueTests
{
    /// <summary>Rows straight into the queue (no quota: as many as the test needs), oldest first.</summary>
    private async Task<List<long>> QueueJobsAsync(int count, string queue = Submission.DefaultQueue)
    {
        await using var db = await Databases.CreateDbContextAsync();
        var jobs = Enumerable.Range(0, count).Select(i => new Submission
        {
            UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = Guid.NewGuid().ToString("N"),
            Status = SubmissionStatus.Queued, Queue = queue, CreatedAt = Clock.GetUtcNow().AddSeconds(i),
        }).ToList();
        db.Submissions.AddRange(jobs);
        await db.SaveChangesAsync();
        return jobs.Select(j => j.Id).ToList();
    }

    [Fact]
    public async Task Parallel_claimers_each_get_distinct_jobs_and_every_job_is_claimed_exactly_once()
    {
        const int claimers = 8;
        var ids = await QueueJobsAsync(40);
        var claimed = new ConcurrentBag<(string Worker, long Id)>();
        using var start = new Barrier(claimers);

        // Each claimer its own queue object and connections, as worker processes have; all start together.
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(w => Task.Run(async () =>
        {
            var queue = new Course.Grading.Queue.SubmissionQueue(Databases, Clock);
            start.SignalAndWait();
            while (await queue.ClaimAsync($"w{w}", TimeSpan.FromMinutes(5)) is { } job)
            {
                claimed.Add(($"w{w}", job.Id));
            }
        })));

        Assert.Equal(ids, claimed.Select(c => c.Id).Order());
        await using var db = await Databases.CreateDbContextAsync();
        var rows = await db.Submissions.AsNoTracking().OrderBy(s => s.Id).ToListAsync();
        Assert.All(rows, row => Assert.Equal((SubmissionStatus.Running, 1), (row.Status, row.Attempts)));
        // The row names the claimer that got the job back.
        Assert.Equal(claimed.OrderBy(c => c.Id).Select(c => c.Worker), rows.Select(r => r.LeaseOwner));
    }

    [Fact]
    public async Task Leases_are_set_and_judged_by_the_database_clock_so_a_worker_clock_ahead_takes_no_live_job()
    {
        var (live, ending) = (await QueueJobsAsync(2)) switch { var ids => (ids[0], ids[1]) };
        var before = DateTimeOffset.UtcNow;
        Assert.Equal(live, (await Queue.ClaimAsync("w1", TimeSpan.FromHours(1)))!.Id);
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(ending, (await Queue.ClaimAsync("w2", TimeSpan.FromSeconds(1)))!.Id);

        // The expiry is the database's now plus the lease; the test's fake clock (2026-11-28) had no part in it.
        // SQLite keeps 0.1 ms, so the bounds widen by that much.
        var expiry = (await ReadAsync(live)).LeaseExpiresAt!.Value;
        Assert.InRange(expiry, before.AddHours(1).AddMilliseconds(-1), after.AddHours(1).AddMilliseconds(1));

        // A worker whose clock runs two hours ahead reaps nothing: the database says both leases still run.
        Clock.SetUtcNow(DateTimeOffset.UtcNow.AddHours(2));
        Assert.Equal(0, await Queue.ReapAsync());

        // Once the database's clock passes the short lease, that job alone goes back to the queue.
        var endsAt = (await ReadAsync(ending)).LeaseExpiresAt!.Value;
        while (DateTimeOffset.UtcNow <= endsAt.AddMilliseconds(5)) // the server shares this machine's clock
        {
            await Task.Delay(50);
        }
        Assert.Equal(1, await Queue.ReapAsync());
        Assert.Equal((SubmissionStatus.Running, SubmissionStatus.Queued), ((await ReadAsync(live)).Status, (await ReadAsync(ending)).Status));
        // A heartbeat renews on the same clock.
        Assert.True(await Queue.HeartbeatAsync(live, "w1", TimeSpan.FromHours(2), null, null));
        Assert.True((await ReadAsync(live)).LeaseExpiresAt > expiry.AddMinutes(59));
    }

    [Fact]
    public async Task A_worker_claims_only_from_its_queues_and_a_submission_joins_its_assignments_queue()
    {
        var cpu = await QueueJobsAsync(1);
        var gpu = await QueueJobsAsync(2, queue: "gpu");

        Assert.Null(await Queue.ClaimAsync("cpu-worker", TimeSpan.FromMinutes(1), ["other"]));
        Assert.Equal(gpu[0], (await Queue.ClaimAsync("gpu-worker", TimeSpan.FromMinutes(1), ["gpu"]))!.Id);
        Assert.Equal(cpu[0], (await Queue.ClaimAsync("cpu-worker", TimeSpan.FromMinutes(1)))!.Id);
        Assert.Null(await Queue.ClaimAsync("cpu-worker", TimeSpan.FromMinutes(1), [Submission.DefaultQueue]));
        Assert.Equal(gpu[1], (await Queue.ClaimAsync("any-worker", TimeSpan.FromMinutes(1), [Submission.DefaultQueue, "gpu"]))!.Id);

        var assignment = Assignment;
        assignment.Rules.Queue = "gpu";
        var submitted = await Queue.SubmitAsync("bob", assignment, Course.Tests.Shared.TinyGradingSetup.Config(2), "k", Setup.DatasetsFolder);
        Assert.Equal("gpu", (await ReadAsync(submitted.Id)).Queue);
        Assert.Equal("gpu", (await Queue.VerifyAsync(submitted.Id)).Queue);
    }
}
