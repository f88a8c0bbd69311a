using System.Diagnostics;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Course.Cli.Tests;

/// <summary>Real `course worker` processes on a shared SQLite database: one killed with SIGKILL mid-training, another finishing the job.</summary>
[Collection(CliCollection.Name)]
public sealed class WorkerProcessTests : IDisposable
{
    private readonly TinyGradingSetup _setup = new();
    private string Database => Path.Combine(_setup.Root, "course.db");

    private readonly IDbContextFactory<CourseDbContext> _databases;

    public WorkerProcessTests() => _databases = new PooledDbContextFactory<CourseDbContext>(
        new DbContextOptionsBuilder<CourseDbContext>().UseSqlite($"Data Source={Database}").Options);

    /// <summary>Short leases and heartbeats, so a dead worker's job comes back within seconds.</summary>
    private Process StartWorker() => _setup.StartWorker(Database, new Dictionary<string, string>
    {
        ["Grading__LeaseSeconds"] = "3",
        ["Grading__HeartbeatSeconds"] = "1",
    });

    private async Task<Submission> WaitForAsync(long id, Func<Submission, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var db = await _databases.CreateDbContextAsync())
            {
                var submission = await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id);
                if (condition(submission))
                {
                    return submission;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"submission {id} is {submission.Status} after {timeout}: {submission.Error} {submission.Log}");
                }
            }
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_worker_killed_mid_training_loses_nothing_and_the_next_worker_finishes_the_job_once()
    {
        await using (var db = await _databases.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
            await db.SaveChangesAsync();
        }
        var assignment = ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!;
        var job = await new SubmissionQueue(_databases, TimeProvider.System)
            .SubmitAsync("ann", assignment, TinyGradingSetup.Config(50), "once", _setup.DatasetsFolder);

        using var first = StartWorker();
        await WaitForAsync(job.Id, s => GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 }, TimeSpan.FromSeconds(90));
        first.Kill(); // SIGKILL: no chance to hand the job back
        await first.WaitForExitAsync();
        var orphaned = await WaitForAsync(job.Id, _ => true, TimeSpan.Zero);
        Assert.Equal((SubmissionStatus.Running, 1), (orphaned.Status, orphaned.Attempts));

        using var second = StartWorker();
        try
        {
            var done = await WaitForAsync(job.Id, s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running), TimeSpan.FromSeconds(180));
            Assert.Equal(SubmissionStatus.Succeeded, done.Status);
            Assert.Equal(2, done.Attempts);
            Assert.NotNull(done.ResultJson);
            Assert.Contains("attempt 2", done.Log);
            await using var db = await _databases.CreateDbContextAsync();
            Assert.Equal(1, await db.Submissions.CountAsync());
        }
        finally
        {
            using (var term = Process.Start("kill", ["-TERM", second.Id.ToString()])) { await term.WaitForExitAsync(); }
            await second.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
        Assert.Equal(0, second.ExitCode);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _setup.Dispose();
    }
}
