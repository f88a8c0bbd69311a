using System.Data.Common;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Course.Yaml;

namespace Course.Grading.Tests;

/// <summary>
/// A database that refuses the next N commands, as one restarting does: the worker's own connection goes
/// through it, while the test reads the queue through a connection of its own.
/// </summary>
public sealed class DatabaseOutage : DbCommandInterceptor
{
    private readonly Lock _lock = new();
    private int _remaining;

    public int Refused { get; private set; }

    public void RefuseNext(int commands)
    {
        lock (_lock) _remaining = commands;
    }

    private void Check()
    {
        lock (_lock)
        {
            if (_remaining == 0)
            {
                return;
            }
            (_remaining, Refused) = (_remaining - 1, Refused + 1);
        }
        throw new SqliteException("simulated outage: database is locked", 5); // SQLITE_BUSY, a transient failure
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check();
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check();
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check();
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Check();
        return ValueTask.FromResult(result);
    }
}

/// <summary>An in-process grading worker on a SQLite file: database outages, cancellation and a lost lease.</summary>
public sealed class GradingWorkerTests : IAsyncLifetime
{
    private readonly TinyGradingSetup _setup = new();
    private readonly DatabaseOutage _outage = new();
    private IDbContextFactory<CourseDbContext> _databases = default!;
    private SubmissionQueue _queue = default!;

    private string Connection => $"Data Source={Path.Combine(_setup.Root, "course.db")}";
    private string Checkpoints => Path.Combine(_setup.Root, "checkpoints");

    public async Task InitializeAsync()
    {
        _databases = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite(Connection).Options);
        await using var db = await _databases.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
        await db.SaveChangesAsync();
        _queue = new SubmissionQueue(_databases, TimeProvider.System);
    }

    private Task<Submission> SubmitAsync(double epochs) => _queue.SubmitAsync("ann",
        ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!,
        TinyGradingSetup.Config(epochs), Guid.NewGuid().ToString("N"), _setup.DatasetsFolder);

    /// <summary>A worker whose database calls go through <see cref="_outage"/>; fast heartbeats and backoff, and a lease long enough to ride out an outage.</summary>
    private (Task Run, CancellationTokenSource Stop) StartWorker(string id = "w1")
    {
        var databases = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite(Connection).AddInterceptors(_outage).Options);
        var settings = new WorkerSettings(_setup.Content, _setup.HiddenSplits, _setup.Hub, TorchSharp.torch.CPU, id)
        {
            Lease = TimeSpan.FromSeconds(60), Heartbeat = TimeSpan.FromMilliseconds(200), Poll = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(200), CheckpointRoot = Checkpoints, CheckpointEvery = TimeSpan.FromSeconds(1),
        };
        var stop = new CancellationTokenSource();
        var worker = new GradingWorker(new SubmissionQueue(databases, TimeProvider.System), new WorkerRegistry(databases), settings, NullLogger<GradingWorker>.Instance);
        return (Task.Run(() => worker.RunAsync(stop.Token)), stop);
    }

    private static bool Ended(Submission s) => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running);

    [Fact]
    public async Task A_worker_rides_out_database_outages_while_claiming_and_while_training_and_grades_the_job_once()
    {
        // Long enough that heartbeats (every 200 ms) still run after the first step is seen: a 4-epoch run on a
        // quiet machine ended before any, and the refused commands were the recording of the result.
        var job = await SubmitAsync(epochs: 16);
        _outage.RefuseNext(3); // the first reap/claim calls fail: the worker waits and tries again
        var (run, stop) = StartWorker();
        var watch = new JobWatch(_databases);
        await watch.UntilAsync(job.Id, s => GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 } || Ended(s));
        _outage.RefuseNext(4); // heartbeats fail mid-run; the lease outlives the outage

        var done = await watch.UntilAsync(job.Id, Ended);
        await stop.CancelAsync();
        await run; // the worker stops cleanly: no database failure escaped it

        Assert.Equal((SubmissionStatus.Succeeded, 1), (done.Status, done.Attempts));
        Assert.Equal(7, _outage.Refused);
        Assert.Contains("heartbeat failed (SqliteException", done.Log);
        Assert.NotNull(done.ResultJson);
    }

    [Fact]
    public async Task A_worker_registers_reports_the_job_it_runs_goes_idle_after_it_and_marks_itself_stopped()
    {
        var job = await SubmitAsync(epochs: 16);
        var (run, stop) = StartWorker("host-a:77");
        var watch = new JobWatch(_databases);
        await watch.UntilAsync(job.Id, s => GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 } || Ended(s));
        var running = await WorkerAsync("host-a:77");
        await watch.UntilAsync(job.Id, Ended);
        var idle = await new WorkerWatch(_databases, run).UntilAsync("host-a:77", w => w.CurrentSubmissionId is null);
        await stop.CancelAsync();
        await run;
        var stopped = await WorkerAsync("host-a:77");

        Assert.Equal((job.Id, Environment.MachineName, Environment.ProcessId, "cpu", "default", (DateTimeOffset?)null),
            (running.CurrentSubmissionId, running.Host, running.ProcessId, running.Device, running.Queues, running.StoppedAt));
        Assert.True(idle.LastHeartbeatAt > running.LastHeartbeatAt);
        Assert.Equal((running.StartedAt, (long?)null), (stopped.StartedAt, stopped.CurrentSubmissionId));
        Assert.NotNull(stopped.StoppedAt);
    }

    private async Task<WorkerRegistration> WorkerAsync(string id)
    {
        await using var db = await _databases.CreateDbContextAsync();
        return await db.GradingWorkers.AsNoTracking().SingleAsync(w => w.Id == id);
    }

    [Fact]
    public async Task Cancel_stops_a_running_job_at_the_next_heartbeat_uncharged_and_the_worker_takes_the_next_job()
    {
        var job = await SubmitAsync(epochs: 50);
        var (run, stop) = StartWorker();
        var watch = new JobWatch(_databases);
        await watch.UntilAsync(job.Id, s => GradingProgress.FromJson(s.ProgressJson) is { CheckpointStep: > 0 } || Ended(s));

        await _queue.CancelAsync(job.Id, "ann");
        var cancelled = await watch.UntilAsync(job.Id, Ended);
        var next = await SubmitAsync(epochs: 1);
        var finished = await watch.UntilAsync(next.Id, Ended); // only once the cancelled run has stopped is the worker free
        await stop.CancelAsync();
        await run;

        Assert.Equal((SubmissionStatus.Cancelled, false, "Cancelled."), (cancelled.Status, cancelled.CountsAgainstQuota, cancelled.Error));
        Assert.True(GradingProgress.FromJson(cancelled.ProgressJson)!.Step < 1250, "the run went on to its end");
        Assert.Equal(SubmissionStatus.Succeeded, finished.Status);
        Assert.False(Directory.Exists(Path.Combine(Checkpoints, $"submission-{job.Id}")));
    }

    [Fact]
    public async Task A_worker_whose_lease_was_given_away_stops_training_records_nothing_and_keeps_the_checkpoint_for_the_new_owner()
    {
        var job = await SubmitAsync(epochs: 50);
        var (run, stop) = StartWorker();
        var watch = new JobWatch(_databases);
        await watch.UntilAsync(job.Id, s => GradingProgress.FromJson(s.ProgressJson) is { CheckpointStep: > 0 } || Ended(s));

        await using (var db = await _databases.CreateDbContextAsync())
        {
            // w2 stands for a worker that keeps its lease alive: a lease left to expire would send the job back to
            // the queue while the next job runs, which on a busy machine takes longer than a lease.
            await db.Submissions.Where(s => s.Id == job.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeaseOwner, "w2").SetProperty(s => s.LeaseExpiresAt, DateTimeOffset.UtcNow.AddDays(1)));
        }
        var next = await SubmitAsync(epochs: 1);
        var finished = await watch.UntilAsync(next.Id, Ended); // the first run stopped, so the worker took the next job
        await stop.CancelAsync();
        await run;

        var taken = await watch.UntilAsync(job.Id, _ => true);
        Assert.Equal((SubmissionStatus.Running, "w2", null), (taken.Status, taken.LeaseOwner, taken.ResultJson));
        Assert.Equal(SubmissionStatus.Succeeded, finished.Status);
        Assert.Single(Directory.GetDirectories(Path.Combine(Checkpoints, $"submission-{job.Id}")));
    }

    [Fact]
    public async Task A_platform_failure_frees_the_quota_slot_and_a_configuration_failure_is_charged()
    {
        var platform = await SubmitAsync(epochs: 1);
        var hidden = Path.Combine(_setup.Hidden, "reviews", "test.jsonl");
        File.Move(hidden, hidden + ".away");
        var watch = new JobWatch(_databases);
        var (run, stop) = StartWorker();
        var missing = await watch.UntilAsync(platform.Id, Ended);
        await stop.CancelAsync();
        await run;
        File.Move(hidden + ".away", hidden);
        // The assignment's rules tightened after the student submitted: the worker's own check refuses the configuration.
        var configuration = await SubmitAsync(epochs: 1);
        var assignment = Path.Combine(_setup.Content, "assignments", "reviews", "assignment.md");
        File.WriteAllText(assignment, File.ReadAllText(assignment).Replace("learning_rate: [1.0e-5, 1.0e-2]", "learning_rate: [1.0e-5, 1.0e-3]"));
        (run, stop) = StartWorker();
        var refused = await watch.UntilAsync(configuration.Id, Ended);
        await stop.CancelAsync();
        await run;

        Assert.Equal((SubmissionStatus.Failed, false, (int?)null), (missing.Status, missing.CountsAgainstQuota, missing.QuotaSlot));
        Assert.StartsWith("The grading platform failed (IOException: The hidden split of reviews is missing", missing.Error);
        Assert.EndsWith("Not charged: the platform failed, so it does not count against your quota.", missing.Error);
        // Slot 1 again: the platform's failure gave it back.
        Assert.Equal((SubmissionStatus.Failed, true, (int?)1), (refused.Status, refused.CountsAgainstQuota, refused.QuotaSlot));
        Assert.StartsWith("submission.yaml:5: training_args.learning_rate must be within [1E-05, 0.001] in this assignment, not 3.0e-3", refused.Error);
        Assert.EndsWith("Charged: the configuration caused this, so it counts against today's quota.", refused.Error);
    }

    public static TheoryData<Exception, bool> Failures => new()
    {
        { new Course.Ml.Training.TrainingConfigException([new Course.Yaml.ContentError("submission.yaml", 3, "bad")]), true },
        { new Course.Ml.Training.TrainingDivergedException(12, double.NaN, double.PositiveInfinity), true },
        { new Course.Ml.Training.TrainingOutOfMemoryException(new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB")), true },
        { new OutOfMemoryException(), true },
        { new IOException("The hidden split of reviews is missing"), false },
        { new InvalidDataException("test.jsonl:3: not a JSON object"), false },
        { new KeyNotFoundException("unknown label 'meh'"), false },
        { new InvalidOperationException("The run produced no test_f1"), false },
        { new ArgumentException("3 tokens but 2 tags."), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failure_is_charged_by_its_type(Exception failure, bool charged)
    {
        var (error, isCharged) = GradingWorker.Failure(failure);

        Assert.Equal(charged, isCharged);
        Assert.EndsWith(charged ? "counts against today's quota." : "does not count against your quota.", error);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _setup.Dispose();
        return Task.CompletedTask;
    }
}
