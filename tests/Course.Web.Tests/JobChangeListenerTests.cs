using System.Threading.Channels;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Tests.Shared;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Course.Web.Tests;

/// <summary>
/// A node's <see cref="JobChangeListener"/> on a real PostgreSQL server: a worker's write on another connection fires
/// the trigger, the notification wakes the node's poll, and its <see cref="JobChangeHub"/> tells the subscriber. The
/// safety poll is a day away, so only a notification can make the node read the jobs again.
/// </summary>
public abstract class JobChangeListenerTest : IAsyncLifetime
{
    protected const string Worker = "worker-1";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private IDbContextFactory<CourseDbContext> _worker = default!;
    private JobChangeListener? _listener;

    protected abstract Task<string> CreateDatabaseAsync();

    /// <summary>The node's commands (the hub's polls); the worker's writes are not counted.</summary>
    protected CommandCounter Commands { get; } = new();

    /// <summary>The listener's log lines, as they are written.</summary>
    protected Followed<(LogLevel Level, string Message)> Log { get; } = new();

    /// <summary>The changes the node published to its one subscriber.</summary>
    protected Followed<JobChange> Changes { get; } = new();

    protected SubmissionQueue WorkerQueue { get; private set; } = default!;

    /// <summary>A running job of ann's, claimed by <see cref="Worker"/>.</summary>
    protected long Job { get; private set; }

    public async Task InitializeAsync()
    {
        var connectionString = await CreateDatabaseAsync();
        // The worker's view is unpooled, so none of its connections outlives a server restart.
        _worker = Factory(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await using (var db = await _worker.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
            db.Submissions.Add(new Submission
            {
                UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = "k", Status = SubmissionStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        WorkerQueue = new SubmissionQueue(_worker, TimeProvider.System);
        Job = (await WorkerQueue.ClaimAsync(Worker, Lease))!.Id;
        NodeDatabases = Factory(connectionString, Commands);
    }

    /// <summary>The node's view: pooled, as the site's is.</summary>
    protected IDbContextFactory<CourseDbContext> NodeDatabases { get; private set; } = default!;

    private static IDbContextFactory<CourseDbContext> Factory(string connectionString, params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<CourseDbContext>();
        options.UseCourseDatabase(DatabaseProvider.PostgreSQL, connectionString).AddInterceptors(interceptors);
        return new PooledDbContextFactory<CourseDbContext>(options.Options);
    }

    /// <summary>Starts the node: its hub with one subscriber to every job, and its listener polling at most every <paramref name="interval"/>.</summary>
    protected async Task StartNodeAsync(TimeProvider clock, TimeSpan interval)
    {
        var hub = new JobChangeHub(new SubmissionQueue(NodeDatabases, clock), NullLogger<JobChangeHub>.Instance);
        hub.Subscribe(_ => true, Changes.Add);
        var options = new GradingOptions { ProgressPollMilliseconds = (int)interval.TotalMilliseconds, ProgressSafetyPollSeconds = (int)TimeSpan.FromDays(1).TotalSeconds };
        _listener = new JobChangeListener(hub, NodeDatabases, Options.Create(options), clock, new LogLines(Log));
        await _listener.StartAsync(CancellationToken.None);
    }

    protected Task<bool> HeartbeatAsync(int step) => WorkerQueue.HeartbeatAsync(Job, Worker, Lease, Progress(step), null);

    protected static string Progress(int step) => $$"""{"Step":{{step}}}""";

    public virtual async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.StopAsync(CancellationToken.None);
            _listener.Dispose();
        }
    }

    /// <summary>Items as they arrive, and a wait for the first that matches, long enough for a busy machine.</summary>
    protected sealed class Followed<T>
    {
        private readonly Channel<T> _items = Channel.CreateUnbounded<T>();
        private readonly List<T> _all = [];

        public void Add(T item)
        {
            lock (_all)
            {
                _all.Add(item);
            }
            _items.Writer.TryWrite(item);
        }

        public void Add(IReadOnlyList<T> items)
        {
            foreach (var item in items)
            {
                Add(item);
            }
        }

        public IReadOnlyList<T> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public async Task<T> UntilAsync(Func<T, bool> condition)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (true)
            {
                var item = await _items.Reader.ReadAsync(patience.Token);
                if (condition(item))
                {
                    return item;
                }
            }
        }
    }

    private sealed class LogLines(Followed<(LogLevel, string)> lines) : ILogger<JobChangeListener>
    {
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add((logLevel, formatter(state, exception)));

        public bool IsEnabled(LogLevel logLevel) => true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class JobChangeListenerTests(PostgresServer server) : JobChangeListenerTest
{
    /// <summary>The node's clock: it moves only when a test says, so no poll is ever due by time alone.</summary>
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override Task<string> CreateDatabaseAsync() => server.CreateDatabaseAsync();

    /// <summary>
    /// Starts the node and waits for its first poll, which it makes once it listens (its clock stands still, so
    /// nothing else could have made it): from then on a poll needs a notification.
    /// </summary>
    private async Task<long> StartListeningAsync()
    {
        await StartNodeAsync(_clock, Interval);
        await Changes.UntilAsync(c => c.SubmissionId == Job && c is { Status: SubmissionStatus.Running, Was: null });
        return Commands.Count;
    }

    [Fact]
    public async Task A_worker_s_heartbeat_on_another_connection_reaches_the_subscriber_through_the_notification()
    {
        await StartListeningAsync();

        Assert.True(await HeartbeatAsync(step: 3));
        _clock.Advance(Interval);
        var change = await Changes.UntilAsync(c => c.ProgressJson is not null);

        Assert.Equal((Job, SubmissionStatus.Running, SubmissionStatus.Running, Progress(3)), (change.SubmissionId, change.Status, change.Was, change.ProgressJson));
    }

    [Fact]
    public async Task A_burst_of_heartbeats_is_one_query_that_publishes_the_last_progress()
    {
        const int Heartbeats = 20;
        var before = await StartListeningAsync();

        for (var step = 1; step <= Heartbeats; step++)
        {
            Assert.True(await HeartbeatAsync(step));
        }
        _clock.Advance(Interval);
        await Changes.UntilAsync(c => c.ProgressJson == Progress(Heartbeats));

        // Twenty notifications, one poll: the ones heard after it started wait for the next interval, which never comes.
        Assert.Equal(1, Commands.Count - before);
        Assert.Equal([null, Progress(Heartbeats)], Changes.All.Select(c => c.ProgressJson));
    }

    [Fact]
    public async Task A_job_added_and_a_job_that_ended_are_each_published_through_their_notifications()
    {
        await StartListeningAsync();

        long added;
        await using (var db = await NodeDatabases.CreateDbContextAsync())
        {
            var submission = new Submission
            {
                UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = "next", Status = SubmissionStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Submissions.Add(submission);
            await db.SaveChangesAsync();
            added = submission.Id;
        }
        _clock.Advance(Interval);
        var queued = await Changes.UntilAsync(c => c.SubmissionId == added);
        Assert.True(await WorkerQueue.FinishAsync(Job, Worker, SubmissionStatus.Failed, null, "out of memory", countsAgainstQuota: false, log: ""));
        _clock.Advance(Interval);
        var ended = await Changes.UntilAsync(c => c.SubmissionId == Job && c.StatusChanged);

        Assert.Equal((SubmissionStatus.Queued, (SubmissionStatus?)null, (int?)1), (queued.Status!.Value, queued.Was, queued.Position));
        Assert.Equal((SubmissionStatus.Failed, SubmissionStatus.Running), (ended.Status!.Value, ended.Was!.Value));
    }
}

/// <summary>The listener while its PostgreSQL server stops and starts again: a cluster of its own (the shared one serves other classes meanwhile).</summary>
public sealed class JobChangeListenerRestartTests : JobChangeListenerTest
{
    private readonly PostgresServer _server = new();

    protected override async Task<string> CreateDatabaseAsync()
    {
        await _server.InitializeAsync();
        return await _server.CreateDatabaseAsync();
    }

    [Fact]
    public async Task The_listener_reconnects_after_a_database_restart_warns_once_and_publishes_the_changes_made_after_it()
    {
        // The real clock: the reconnection waits out its backoff.
        await StartNodeAsync(TimeProvider.System, TimeSpan.FromMilliseconds(100));
        await Changes.UntilAsync(c => c.SubmissionId == Job && c.Status == SubmissionStatus.Running);

        await _server.StopAsync();
        await Log.UntilAsync(l => l.Level == LogLevel.Warning && l.Message.StartsWith("Listening for job changes stopped", StringComparison.Ordinal));
        await _server.StartAsync();
        await Log.UntilAsync(l => l.Message == "Listening for job changes again");
        Assert.True(await HeartbeatAsync(step: 1));
        await Changes.UntilAsync(c => c.ProgressJson == Progress(1));
        // The first change may have come with the poll that follows reconnecting; this one can come only with a notification.
        Assert.True(await HeartbeatAsync(step: 2));
        await Changes.UntilAsync(c => c.ProgressJson == Progress(2));

        Assert.Single(Log.All, l => l.Level == LogLevel.Warning && l.Message.StartsWith("Listening for job changes stopped", StringComparison.Ordinal));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }
}

public sealed class JobChangeListenerSettingsTests
{
    [Theory]
    [InlineData(1000, 0, "Grading:ProgressSafetyPollSeconds is the time between reads of the jobs without a notification, in seconds (above 0), not 0.")]
    [InlineData(-5, 30, "Grading:ProgressPollMilliseconds is the time between polls in milliseconds (above 0), not -5.")]
    public async Task A_bad_interval_stops_the_listener_with_an_error_naming_the_setting(int pollMilliseconds, int safetySeconds, string error)
    {
        using var database = new TestDatabase();
        var options = new GradingOptions { ProgressPollMilliseconds = pollMilliseconds, ProgressSafetyPollSeconds = safetySeconds };
        using var listener = new JobChangeListener(new JobChangeHub(new SubmissionQueue(database.Factory, TimeProvider.System), NullLogger<JobChangeHub>.Instance),
            database.Factory, Options.Create(options), TimeProvider.System, NullLogger<JobChangeListener>.Instance);

        var failure = await Record.ExceptionAsync(async () =>
        {
            await listener.StartAsync(CancellationToken.None);
            await listener.ExecuteTask!;
        });

        Assert.Equal(error, Assert.IsType<InvalidOperationException>(failure).Message);
    }
}
