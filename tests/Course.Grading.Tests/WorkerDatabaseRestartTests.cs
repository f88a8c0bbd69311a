using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Course.Grading.Tests;

/// <summary>
/// A grading worker while its PostgreSQL server stops and starts again on the same data folder and port: a cluster of
/// its own (the shared one serves other classes meanwhile), the worker in-process on its own connection pool.
/// </summary>
public sealed class WorkerDatabaseRestartTests : IAsyncLifetime
{
    private readonly PostgresServer _server = new();
    private readonly TinyGradingSetup _setup = new();
    private readonly WarningSignal _warnings = new();
    private string _connectionString = "";

    /// <summary>The test's own view of the database: unpooled, so no connection of it outlives the restart.</summary>
    private IDbContextFactory<CourseDbContext> _databases = default!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _connectionString = await _server.CreateDatabaseAsync();
        _databases = Factory(new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await using var db = await _databases.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
        await db.SaveChangesAsync();
    }

    private static IDbContextFactory<CourseDbContext> Factory(string connectionString)
    {
        var options = new DbContextOptionsBuilder<CourseDbContext>();
        options.UseCourseDatabase(DatabaseProvider.PostgreSQL, connectionString);
        return new PooledDbContextFactory<CourseDbContext>(options.Options);
    }

    private Task<Submission> SubmitAsync(double epochs) => new SubmissionQueue(_databases, TimeProvider.System).SubmitAsync("ann",
        ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!,
        TinyGradingSetup.Config(epochs), Guid.NewGuid().ToString("N"), _setup.DatasetsFolder);

    private static bool Ended(Submission s) => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running);

    [Fact]
    public async Task A_worker_keeps_training_through_a_database_restart_records_that_job_and_then_claims_and_finishes_a_new_one()
    {
        var during = await SubmitAsync(epochs: 16); // long enough to be training when the server stops: the first step is seen before it does
        // The worker's own pooled connections, as a worker process has: the restart breaks every one of them.
        var databases = Factory(_connectionString);
        var settings = new WorkerSettings(_setup.Content, _setup.HiddenSplits, _setup.Hub, TorchSharp.torch.CPU, "pg-worker:1")
        {
            // A lease far longer than the outage: the job stays this worker's, so its result must be recorded.
            Lease = TimeSpan.FromMinutes(10), Heartbeat = TimeSpan.FromMilliseconds(200), Poll = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(1), CheckpointRoot = Path.Combine(_setup.Root, "checkpoints"),
        };
        using var stop = new CancellationTokenSource();
        var worker = new GradingWorker(new SubmissionQueue(databases, TimeProvider.System), new WorkerRegistry(databases), settings, _warnings);
        var run = Task.Run(() => worker.RunAsync(stop.Token));
        var watch = new JobWatch(_databases);
        await watch.UntilAsync(during.Id, s => GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 } || Ended(s));

        await _server.StopAsync();
        await _warnings.NextAsync(run); // the worker met the outage (and, training on, a failed heartbeat)
        await _server.StartAsync();
        var after = await SubmitAsync(epochs: 1);
        var first = await watch.UntilAsync(during.Id, Ended);
        var second = await watch.UntilAsync(after.Id, Ended);
        var idle = await new WorkerWatch(_databases, run).UntilAsync("pg-worker:1", w => w.CurrentSubmissionId is null);
        await stop.CancelAsync();
        await run; // no database failure escaped the worker

        Assert.Equal((SubmissionStatus.Succeeded, 1), (first.Status, first.Attempts));
        Assert.NotNull(first.ResultJson);
        Assert.Contains("heartbeat failed (", first.Log);
        Assert.Contains("heartbeat back after", first.Log);
        Assert.Equal((SubmissionStatus.Succeeded, 1), (second.Status, second.Attempts));
        Assert.Null(idle.StoppedAt);
        await using var db = await _databases.CreateDbContextAsync();
        Assert.NotNull((await db.GradingWorkers.SingleAsync(w => w.Id == "pg-worker:1")).StoppedAt);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _setup.Dispose();
    }

    /// <summary>The worker's log, signalling each warning (the lines it writes when the database fails).</summary>
    private sealed class WarningSignal : ILogger<GradingWorker>
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Waits for the next warning while the worker runs; fails if its loop ends first.</summary>
        public async Task NextAsync(Task worker)
        {
            var next = Volatile.Read(ref _next).Task;
            if (await Task.WhenAny(next, worker) == worker)
            {
                await worker;
                throw new InvalidOperationException("the worker stopped before it met the outage");
            }
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    }
}
