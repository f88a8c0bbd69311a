using Course.Core.Data;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Grading.Tests;

public sealed class SqliteWorkerRegistryTests() : WorkerRegistryTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlWorkerRegistryTests(PostgresServer server) : WorkerRegistryTests(server);

/// <summary>The <c>GradingWorkers</c> table on both providers: what workers write, and the states the grading page shows.</summary>
public abstract class WorkerRegistryTests(PostgresServer? server) : QueueTest(server)
{
    private WorkerRegistry Registry => new(Databases);

    private WorkerOverview Overview => new(Databases, Options.Create(new GradingOptions { LeaseSeconds = 30 }));

    private static WorkerRegistration Worker(string id = "gpu-box:4242") => new()
    {
        Id = id, Host = id.Split(':')[0], ProcessId = int.Parse(id.Split(':')[1]), Device = "cuda:0", Queues = "default,gpu",
    };

    private async Task<WorkerRow> RowAsync(string id = "gpu-box:4242") => (await Overview.ListAsync()).Single(r => r.Worker.Id == id);

    /// <summary>The worker's heartbeat moved into the past (the database's clock judges, so the row moves, not a clock).</summary>
    private async Task SilenceAsync(string id, TimeSpan ago)
    {
        await using var db = await Databases.CreateDbContextAsync();
        var then = DateTimeOffset.UtcNow - ago;
        await db.GradingWorkers.Where(w => w.Id == id).ExecuteUpdateAsync(u => u.SetProperty(w => w.LastHeartbeatAt, then));
    }

    [Fact]
    public async Task A_worker_is_idle_then_running_its_job_then_lost_when_silent_for_a_lease_then_stopped()
    {
        var job = await SubmitAsync();
        await Registry.RegisterAsync(Worker());
        var idle = await RowAsync();
        Assert.Equal((WorkerState.Idle, "gpu-box", 4242, "cuda:0", "default,gpu", ""),
            (idle.State, idle.Worker.Host, idle.Worker.ProcessId, idle.Worker.Device, idle.Worker.Queues, idle.CurrentJobText));

        await Registry.BeatAsync(Worker(), job.Id);
        var running = await RowAsync();
        Assert.Equal((WorkerState.Running, $"#{job.Id} reviews", idle.Worker.StartedAt), (running.State, running.CurrentJobText, running.Worker.StartedAt));

        await SilenceAsync("gpu-box:4242", TimeSpan.FromMinutes(2));
        Assert.Equal(WorkerState.Lost, (await RowAsync()).State);
        await Registry.BeatAsync(Worker(), job.Id); // back after an outage: running again, the same start
        Assert.Equal((WorkerState.Running, idle.Worker.StartedAt), ((await RowAsync()).State, (await RowAsync()).Worker.StartedAt));

        await Registry.StopAsync("gpu-box:4242");
        var stopped = await RowAsync();
        Assert.Equal((WorkerState.Stopped, null, ""), (stopped.State, stopped.Worker.CurrentSubmissionId, stopped.CurrentJobText));
        Assert.NotNull(stopped.Worker.StoppedAt);

        // The same id again (a restarted container's host:pid): a new start, no longer stopped.
        await Registry.RegisterAsync(Worker());
        var again = await RowAsync();
        Assert.Equal((WorkerState.Idle, (DateTimeOffset?)null), (again.State, again.Worker.StoppedAt));
        Assert.True(again.Worker.StartedAt >= stopped.Worker.StoppedAt);
    }

    [Fact]
    public async Task Rows_silent_for_longer_than_the_retention_are_pruned_and_a_pruned_worker_that_beats_is_listed_again()
    {
        foreach (var id in new[] { "old-stopped:1", "old-lost:2", "recent-stopped:3", "live:4" })
        {
            await Registry.RegisterAsync(Worker(id));
        }
        await Registry.StopAsync("old-stopped:1");
        await Registry.StopAsync("recent-stopped:3");
        await SilenceAsync("old-stopped:1", WorkerRegistry.Retention + TimeSpan.FromHours(1));
        await SilenceAsync("old-lost:2", WorkerRegistry.Retention + TimeSpan.FromHours(1));
        await SilenceAsync("recent-stopped:3", WorkerRegistry.Retention - TimeSpan.FromHours(1));

        Assert.Equal(2, await Registry.PruneAsync());
        Assert.Equal(["live:4", "recent-stopped:3"], (await Overview.ListAsync()).Select(r => r.Worker.Id));

        await Registry.BeatAsync(Worker("old-lost:2"), current: null);
        Assert.Equal(WorkerState.Idle, (await RowAsync("old-lost:2")).State);
    }

    [Fact]
    public void States_and_heartbeat_ages_follow_the_row_and_the_database_clock()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var lease = TimeSpan.FromSeconds(30);
        WorkerRegistration At(int secondsAgo, long? job = null, bool stopped = false)
        {
            var worker = Worker();
            (worker.LastHeartbeatAt, worker.CurrentSubmissionId, worker.StoppedAt) = (now.AddSeconds(-secondsAgo), job, stopped ? now.AddSeconds(-secondsAgo) : null);
            return worker;
        }

        Assert.Equal(WorkerState.Idle, WorkerOverview.StateOf(At(30), now, lease)); // a whole lease is still alive
        Assert.Equal(WorkerState.Lost, WorkerOverview.StateOf(At(31), now, lease));
        Assert.Equal(WorkerState.Running, WorkerOverview.StateOf(At(3, job: 7), now, lease));
        Assert.Equal(WorkerState.Lost, WorkerOverview.StateOf(At(31, job: 7), now, lease));
        Assert.Equal(WorkerState.Stopped, WorkerOverview.StateOf(At(3600, stopped: true), now, lease));

        Assert.Equal(["0 s ago", "4 s ago", "119 s ago", "2 min ago", "119 min ago", "2 h ago", "2 d ago"],
            new[] { -1, 4, 119, 120, 7199, 7200, 172800 }.Select(s => new WorkerRow(Worker(), WorkerState.Idle, TimeSpan.FromSeconds(s), null).HeartbeatText));
        Assert.Equal("#7 reviews", new WorkerRow(At(3, job: 7), WorkerState.Running, TimeSpan.Zero, "reviews").CurrentJobText);
        Assert.Equal("#7", new WorkerRow(At(3, job: 7), WorkerState.Running, TimeSpan.Zero, null).CurrentJobText);
    }
}
