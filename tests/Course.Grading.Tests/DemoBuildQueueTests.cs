using Course.Core.Data;
using Course.Grading.Queue;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Tests;

public sealed class SqliteDemoBuildQueueTests() : DemoBuildQueueTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDemoBuildQueueTests(PostgresServer server) : DemoBuildQueueTests(server);

/// <summary>The demo builds' queue on both providers: one row per model however many nodes queue it, claims in the demo list's order, leases.</summary>
public abstract class DemoBuildQueueTests(PostgresServer? server) : QueueTest(server)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly (string, int)[] Missing = [("course/minilm-qa", 2), ("course/minilm-sentiment", 0), ("course/minilm-ner", 1)];

    private DemoBuildQueue Builds => new(Databases, Clock);

    private async Task<List<DemoBuild>> RowsAsync()
    {
        await using var db = await Databases.CreateDbContextAsync();
        return await db.DemoBuilds.AsNoTracking().OrderBy(b => b.Position).ToListAsync();
    }

    [Fact]
    public async Task Nodes_queuing_the_missing_models_together_make_one_row_per_model()
    {
        var queued = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Builds.EnqueueAsync(Missing))));
        var again = await Builds.EnqueueAsync(Missing);

        var rows = await RowsAsync();
        Assert.Equal(new[] { "course/minilm-sentiment", "course/minilm-ner", "course/minilm-qa" }, rows.Select(b => b.ModelId));
        Assert.All(rows, b => Assert.Equal((DemoBuildState.Queued, 0, null), (b.State, b.Attempts, b.LeaseOwner)));
        Assert.Equal(3, queued.Sum());
        Assert.Equal(0, again);
    }

    [Fact]
    public async Task Builds_are_claimed_in_the_demo_lists_order_once_each()
    {
        await Builds.EnqueueAsync(Missing);

        var claims = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            claims.Add((await Builds.ClaimAsync($"w{i}", Lease))?.ModelId);
        }

        Assert.Equal(new string?[] { "course/minilm-sentiment", "course/minilm-ner", "course/minilm-qa", null }, claims);
        var first = (await RowsAsync())[0];
        Assert.Equal((DemoBuildState.Running, "w0", 1), (first.State, first.LeaseOwner, first.Attempts));
    }

    [Fact]
    public async Task A_build_whose_worker_went_silent_is_claimed_again_after_its_lease_and_the_silent_worker_records_nothing()
    {
        await Builds.EnqueueAsync([("course/minilm-sentiment", 0)]);
        await Builds.ClaimAsync("dead", Lease);
        Assert.Equal(0, await Builds.ReapAsync()); // the lease still runs
        Assert.Null(await Builds.ClaimAsync("w2", Lease));

        await using (var db = await Databases.CreateDbContextAsync())
        {
            var past = DateTimeOffset.UtcNow.AddMinutes(-1); // the database's clock judges: the row is moved, not the clock
            await db.DemoBuilds.ExecuteUpdateAsync(u => u.SetProperty(b => b.LeaseExpiresAt, past));
        }
        var reaped = await Builds.ReapAsync();
        var retaken = await Builds.ClaimAsync("w2", Lease);

        Assert.Equal(1, reaped);
        Assert.Equal(("course/minilm-sentiment", "w2", 2), (retaken!.ModelId, retaken.LeaseOwner, retaken.Attempts));
        Assert.False(await Builds.HeartbeatAsync("course/minilm-sentiment", "dead", Lease, "{}"));
        Assert.False(await Builds.FinishAsync("course/minilm-sentiment", "dead", null));
        Assert.True(await Builds.HeartbeatAsync("course/minilm-sentiment", "w2", Lease, """{"Step":3}"""));
        Assert.True(await Builds.FinishAsync("course/minilm-sentiment", "w2", null));
        var done = (await RowsAsync()).Single();
        Assert.Equal((DemoBuildState.Succeeded, null, null, """{"Step":3}"""), (done.State, done.LeaseOwner, done.Error, done.ProgressJson));
    }

    [Fact]
    public async Task A_finished_build_whose_model_is_missing_again_is_queued_again_and_a_running_one_is_left_alone()
    {
        await Builds.EnqueueAsync([("course/minilm-sentiment", 0), ("course/minilm-ner", 1)]);
        await Builds.ClaimAsync("w1", Lease);
        await Builds.FinishAsync("course/minilm-sentiment", "w1", "OutOfMemoryException: no room");
        await Builds.ClaimAsync("w2", Lease);

        var queued = await Builds.EnqueueAsync([("course/minilm-sentiment", 0), ("course/minilm-ner", 1)]);

        var rows = await RowsAsync();
        Assert.Equal(1, queued);
        Assert.Equal((DemoBuildState.Queued, 0, null), (rows[0].State, rows[0].Attempts, rows[0].Error));
        Assert.Equal((DemoBuildState.Running, "w2"), (rows[1].State, rows[1].LeaseOwner));
    }
}
