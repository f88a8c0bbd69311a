using System.Diagnostics;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Ml.Training;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Course.Grading.Tests;

/// <summary>
/// In-process workers on a SQLite file building a demo model from the queue: the sentiment demo's id, fine-tuned from
/// the tiny test BERT on the tiny keyword reviews for one epoch (never MiniLM on the course's data).
/// </summary>
public sealed class DemoBuildWorkerTests : IAsyncLifetime
{
    private const string Sentiment = "course/minilm-sentiment";

    private static readonly DemoModel TinySentiment = DemoModels.Find(Sentiment)! with
    {
        Dataset = "reviews", MaxSeqLength = 32, BaseModel = TinyGradingSetup.Model, Preprocessing = new(),
        Args = new() { LearningRate = 3e-3, PerDeviceTrainBatchSize = 8, PerDeviceEvalBatchSize = 40, NumTrainEpochs = 1, Seed = 7 },
    };

    private readonly TinyGradingSetup _setup = new();
    private IDbContextFactory<CourseDbContext> _databases = default!;
    private DemoBuildQueue _builds = default!;

    public async Task InitializeAsync()
    {
        _databases = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>()
            .UseSqlite($"Data Source={Path.Combine(_setup.Root, "course.db")}").Options);
        await using var db = await _databases.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
        await db.SaveChangesAsync();
        _builds = new DemoBuildQueue(_databases, TimeProvider.System);
    }

    private (Task Run, CancellationTokenSource Stop) StartWorker(string id, params string[] queues)
    {
        var settings = new WorkerSettings(_setup.Content, _setup.HiddenSplits, _setup.Hub, TorchSharp.torch.CPU, id)
        {
            Lease = TimeSpan.FromSeconds(60), Heartbeat = TimeSpan.FromMilliseconds(100), Poll = TimeSpan.FromMilliseconds(100),
            CheckpointRoot = Path.Combine(_setup.Root, "checkpoints"), Queues = queues, Demos = [TinySentiment],
        };
        var stop = new CancellationTokenSource();
        var worker = new GradingWorker(new SubmissionQueue(_databases, TimeProvider.System), new WorkerRegistry(_databases), settings,
            NullLogger<GradingWorker>.Instance, _builds);
        return (Task.Run(() => worker.RunAsync(stop.Token)), stop);
    }

    /// <summary>Waits for the build's row while it changes (a live worker's heartbeat renews its lease), as <see cref="JobWatch"/> does for jobs.</summary>
    private async Task<DemoBuild> UntilAsync(Func<DemoBuild, bool> condition, Task worker)
    {
        var (lastChange, lastState) = (Stopwatch.StartNew(), "");
        while (true)
        {
            var row = (await _builds.ListAsync()).Single();
            if (condition(row))
            {
                return row;
            }
            var state = $"{row.State}/{row.LeaseExpiresAt:O}/{row.ProgressJson}";
            if (state != lastState)
            {
                (lastState, lastChange) = (state, Stopwatch.StartNew());
            }
            else if (lastChange.Elapsed > JobWatch.StallLimit)
            {
                throw new TimeoutException($"the demo build made no progress for {JobWatch.StallLimit}: {state} {row.Error}");
            }
            if (worker.IsCompleted)
            {
                await worker;
                throw new InvalidOperationException($"the worker stopped while the build was {state}");
            }
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_worker_on_the_demos_queue_builds_the_queued_model_into_the_hub_and_records_it()
    {
        await _builds.EnqueueAsync([(Sentiment, 0)]);
        var (run, stop) = StartWorker("demo-worker", DemoBuild.Queue);

        var done = await UntilAsync(b => b.State is not (DemoBuildState.Queued or DemoBuildState.Running), run);
        await stop.CancelAsync();
        await run;

        Assert.Equal((DemoBuildState.Succeeded, 1, null, null), (done.State, done.Attempts, done.Error, done.LeaseOwner));
        var card = File.ReadAllText(Path.Combine(_setup.Hub.PathOf(Sentiment), "README.md"));
        Assert.Contains($"# {Sentiment}\n", card);
        Assert.Contains($"from `{TinyGradingSetup.Model}` on the course dataset\n`reviews`", card);
        Assert.False(_setup.Hub.Contains($"{Sentiment}.partial"));
    }

    [Fact]
    public async Task A_build_left_by_a_worker_that_died_is_rebuilt_by_another_after_its_lease()
    {
        await _builds.EnqueueAsync([(Sentiment, 0)]);
        await _builds.ClaimAsync("dead", TimeSpan.FromSeconds(60));
        Directory.CreateDirectory(_setup.Hub.PathOf($"{Sentiment}.partial")); // its half-written model
        File.WriteAllText(Path.Combine(_setup.Hub.PathOf($"{Sentiment}.partial"), "model.safetensors"), "half");
        await using (var db = await _databases.CreateDbContextAsync())
        {
            var past = DateTimeOffset.UtcNow.AddMinutes(-1); // the dead worker's last heartbeat was a lease ago
            await db.DemoBuilds.ExecuteUpdateAsync(u => u.SetProperty(b => b.LeaseExpiresAt, past));
        }
        var (run, stop) = StartWorker("w2", "default", DemoBuild.Queue);

        var done = await UntilAsync(b => b.State is not (DemoBuildState.Queued or DemoBuildState.Running), run);
        await stop.CancelAsync();
        await run;

        Assert.Equal((DemoBuildState.Succeeded, 2, null), (done.State, done.Attempts, done.Error));
        Assert.True(_setup.Hub.Contains(Sentiment));
        Assert.False(_setup.Hub.Contains($"{Sentiment}.partial"));
        Assert.False(await _builds.FinishAsync(Sentiment, "dead", null));
    }

    [Fact]
    public async Task A_worker_without_the_demos_queue_grades_and_never_takes_a_demo_build()
    {
        await _builds.EnqueueAsync([(Sentiment, 0)]);
        var queue = new SubmissionQueue(_databases, TimeProvider.System);
        var job = await queue.SubmitAsync("ann", ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!,
            TinyGradingSetup.Config(1), "k1", _setup.DatasetsFolder);
        var (run, stop) = StartWorker("grader", "default");

        var graded = await new JobWatch(_databases).UntilAsync(job.Id, s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
        // Idle after the job: the worker has looked at the queues again with nothing for it.
        var idle = await new WorkerWatch(_databases, run).UntilAsync("grader", w => w.CurrentSubmissionId is null && w.LastHeartbeatAt > graded.FinishedAt);
        await stop.CancelAsync();
        await run;

        var build = (await _builds.ListAsync()).Single();
        Assert.Equal(SubmissionStatus.Succeeded, graded.Status);
        Assert.Equal((DemoBuildState.Queued, 0, null), (build.State, build.Attempts, build.LeaseOwner));
        Assert.Equal((string?)null, idle.CurrentDemoModelId);
        Assert.False(_setup.Hub.Contains(Sentiment));
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _setup.Dispose();
        return Task.CompletedTask;
    }
}
