using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Course.Grading.Tests;

/// <summary>
/// The daily quota on a real SQLite file in WAL mode, as the site runs it: every submitter has its own
/// context factory, so its own connection, and only the database's unique index can keep them apart.
/// </summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private readonly TinyGradingSetup _setup = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
    private string Database => Path.Combine(_setup.Root, "course.db");
    private Assignment Assignment => ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!;

    /// <summary>A factory of its own: a separate connection to the same file, like another tab's request.</summary>
    private IDbContextFactory<CourseDbContext> NewConnection(params IInterceptor[] interceptors) =>
        new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>()
            .UseSqlite($"Data Source={Database};Pooling=False").AddInterceptors(interceptors).Options);

    private SubmissionQueue NewQueue(params IInterceptor[] interceptors) => new(NewConnection(interceptors), _clock);

    private Task<Submission> SubmitAsync(Assignment assignment, params IInterceptor[] interceptors) =>
        NewQueue(interceptors).SubmitAsync("ann", assignment, TinyGradingSetup.Config(2), Guid.NewGuid().ToString("N"), _setup.DatasetsFolder);

    /// <summary>
    /// Holds a tab's first INSERT until every tab has reached its own, so all of them have read the quota before
    /// any writes: the worst interleaving, every time (a count-then-insert would let all ten in).
    /// </summary>
    private sealed class AllReadBeforeAnyInserts(Gate gate) : DbCommandInterceptor
    {
        private bool _held;

        public override async ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command,
            CommandEventData eventData, InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (!_held && command.CommandText.Contains("INSERT INTO \"Submissions\"", StringComparison.Ordinal))
            {
                _held = true;
                await gate.ArriveAndWaitAsync();
            }
            return result;
        }
    }

    private sealed class Gate(int tabs)
    {
        private int _waiting = tabs;
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ArriveAndWaitAsync()
        {
            if (Interlocked.Decrement(ref _waiting) == 0)
            {
                _open.SetResult();
            }
            return _open.Task;
        }
    }

    public async Task InitializeAsync()
    {
        var databases = NewConnection();
        await databases.MigrateAsync();
        await using var db = await databases.CreateDbContextAsync();
        db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
        await db.SaveChangesAsync();
    }

    private async Task<List<Submission>> SubmissionsAsync()
    {
        await using var db = await NewConnection().CreateDbContextAsync();
        return await db.Submissions.AsNoTracking().OrderBy(s => s.Id).ToListAsync();
    }

    [Fact]
    public async Task Ten_tabs_racing_for_a_quota_of_five_get_exactly_five_submissions_in()
    {
        var assignment = Assignment;
        assignment.Rules.MaxSubmissionsPerDay = 5;
        var gate = new Gate(10);
        var tabs = Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            try
            {
                return (Accepted: await SubmitAsync(assignment, new AllReadBeforeAnyInserts(gate)), Refusal: (string?)null);
            }
            catch (SubmissionRefusedException ex)
            {
                return (Accepted: (Submission?)null, Refusal: ex.Message);
            }
        })).ToList();
        var outcomes = await Task.WhenAll(tabs);

        Assert.Equal(5, outcomes.Count(o => o.Accepted is not null));
        Assert.All(outcomes.Where(o => o.Accepted is null), o =>
            Assert.Equal("You have used today's 5 submissions for Keyword reviews; the quota resets at 00:00 UTC.", o.Refusal));
        var stored = await SubmissionsAsync();
        Assert.Equal([1, 2, 3, 4, 5], stored.Select(s => s.QuotaSlot!.Value).Order());
        Assert.All(stored, s => Assert.Equal(new DateOnly(2026, 11, 28), s.QuotaDay));
    }

    [Fact]
    public async Task An_uncharged_failure_frees_its_slot_and_a_charged_one_keeps_it()
    {
        var assignment = Assignment; // a quota of 3
        var queue = NewQueue();
        var (charged, uncharged, third) = (await SubmitAsync(assignment), await SubmitAsync(assignment), await SubmitAsync(assignment));
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync(assignment));

        foreach (var (job, counts) in new[] { (charged, true), (uncharged, false) })
        {
            Assert.Equal(job.Id, (await queue.ClaimAsync("w1", TimeSpan.FromMinutes(1)))!.Id);
            Assert.True(await queue.FinishAsync(job.Id, "w1", SubmissionStatus.Failed, null, "failed", counts, ""));
        }
        var again = await SubmitAsync(assignment);

        Assert.Equal(uncharged.QuotaSlot, again.QuotaSlot);
        var stored = (await SubmissionsAsync()).ToDictionary(s => s.Id);
        Assert.Equal((1, (int?)null, 3), (stored[charged.Id].QuotaSlot, stored[uncharged.Id].QuotaSlot, stored[third.Id].QuotaSlot));
        Assert.False(stored[uncharged.Id].CountsAgainstQuota);
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync(assignment));
    }

    [Fact]
    public async Task A_quota_reset_frees_todays_slots_only_and_a_cancellation_frees_its_own()
    {
        var assignment = Assignment;
        var yesterday = await SubmitAsync(assignment);
        _clock.Advance(TimeSpan.FromDays(1));
        var today = new[] { await SubmitAsync(assignment), await SubmitAsync(assignment), await SubmitAsync(assignment) };
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync(assignment));

        await NewQueue().CancelAsync(today[0].Id, "ann");
        Assert.Equal(today[0].QuotaSlot, (await SubmitAsync(assignment)).QuotaSlot);
        Assert.Equal(3, await NewQueue().ResetQuotaAsync("ann", assignment.Id));
        var afterReset = new[] { await SubmitAsync(assignment), await SubmitAsync(assignment), await SubmitAsync(assignment) };

        Assert.Equal([1, 2, 3], afterReset.Select(s => s.QuotaSlot!.Value));
        var stored = (await SubmissionsAsync()).ToDictionary(s => s.Id);
        Assert.Equal((1, new DateOnly(2026, 11, 28)), (stored[yesterday.Id].QuotaSlot!.Value, stored[yesterday.Id].QuotaDay!.Value));
        Assert.All(today, s => Assert.Null(stored[s.Id].QuotaSlot));
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _setup.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Four_workers_claiming_at_once_on_a_file_database_take_each_queued_job_exactly_once()
    {
        await using (var db = await NewConnection().CreateDbContextAsync())
        {
            db.Submissions.AddRange(Enumerable.Range(0, 12).Select(i => new Submission
            {
                UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = $"job-{i}", Status = SubmissionStatus.Queued,
                CreatedAt = _clock.GetUtcNow().AddSeconds(i),
            }));
            await db.SaveChangesAsync();
        }
        var queued = (await SubmissionsAsync()).Select(s => s.Id).ToList();

        // Each worker its own connection, as separate processes have; they start together and claim until the queue is empty.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(1, 4).Select(w => Task.Run(async () =>
        {
            var queue = NewQueue();
            var mine = new List<long>();
            await start.Task;
            while (await queue.ClaimAsync($"worker-{w}", TimeSpan.FromMinutes(5)) is { } job)
            {
                mine.Add(job.Id);
            }
            return (Worker: $"worker-{w}", Jobs: mine);
        })).ToList();
        start.SetResult();
        var claims = await Task.WhenAll(workers);

        Assert.Equal(queued, claims.SelectMany(c => c.Jobs).Order());
        var stored = (await SubmissionsAsync()).ToDictionary(s => s.Id);
        foreach (var (worker, jobs) in claims)
        {
            Assert.All(jobs, id => Assert.Equal((SubmissionStatus.Running, worker, 1), (stored[id].Status, stored[id].LeaseOwner, stored[id].Attempts)));
        }
    }
}
