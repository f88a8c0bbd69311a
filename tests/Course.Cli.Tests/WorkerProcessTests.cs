using System.Diagnostics;
using System.Text.RegularExpressions;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Course.Cli.Tests;

/// <summary>
/// Real `course worker` processes on a shared SQLite database: one killed with SIGKILL mid-training, another
/// resuming the job from its checkpoint and ending with the numbers of a run never interrupted.
/// </summary>
[Collection(CliCollection.Name)]
public sealed partial class WorkerProcessTests : IDisposable
{
    private const double Epochs = 8; // 200 steps: long enough to kill mid-run, short enough for a busy machine

    private readonly TinyGradingSetup _setup = new();
    private string Database => Path.Combine(_setup.Root, "course.db");
    private string Checkpoints => Path.Combine(_setup.Root, "checkpoints");

    private readonly IDbContextFactory<CourseDbContext> _databases;

    public WorkerProcessTests() => _databases = new PooledDbContextFactory<CourseDbContext>(
        new DbContextOptionsBuilder<CourseDbContext>().UseSqlite($"Data Source={Database}").Options);

    /// <summary>Short leases and heartbeats, so a dead worker's job comes back within seconds, and a checkpoint every second.</summary>
    private Process StartWorker() => _setup.StartWorker($"Data Source={Database}", new Dictionary<string, string>
    {
        ["Grading__LeaseSeconds"] = "3",
        ["Grading__HeartbeatSeconds"] = "1",
        ["Grading__CheckpointSeconds"] = "1",
        ["Grading__CheckpointPath"] = Checkpoints,
    });

    /// <summary>Every metric but the run's timing.</summary>
    private static Dictionary<string, double> Numbers(IReadOnlyDictionary<string, double> metrics) =>
        metrics.Where(m => !m.Key.StartsWith("train_", StringComparison.Ordinal) || m.Key == "train_loss").ToDictionary();

    [GeneratedRegex(@"resumed from checkpoint-(\d+) \(step \1 of 200\)")]
    private static partial Regex Resumed();

    [Fact]
    public async Task A_worker_killed_mid_training_leaves_a_job_the_next_worker_resumes_from_its_checkpoint_with_the_uninterrupted_numbers()
    {
        await using (var db = await _databases.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            db.Users.Add(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" });
            await db.SaveChangesAsync();
        }
        var assignment = ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!;
        var uninterrupted = GradingRun.Execute(assignment, TinyGradingSetup.Config(Epochs), _setup.DatasetsFolder, _setup.HiddenSplits, _setup.Hub, TorchSharp.torch.CPU);
        var job = await new SubmissionQueue(_databases, TimeProvider.System)
            .SubmitAsync("ann", assignment, TinyGradingSetup.Config(Epochs), "once", _setup.DatasetsFolder);

        using var first = StartWorker();
        await new JobWatch(_databases, first).UntilAsync(job.Id,
            s => GradingProgress.FromJson(s.ProgressJson) is { CheckpointStep: > 0 } p && p.Step > p.CheckpointStep || s.Status != SubmissionStatus.Running && s.Status != SubmissionStatus.Queued);
        first.Kill(); // SIGKILL: no chance to hand the job back
        await first.WaitForExitAsync();
        var orphaned = await new JobWatch(_databases).UntilAsync(job.Id, _ => true);
        Assert.Equal((SubmissionStatus.Running, 1), (orphaned.Status, orphaned.Attempts));

        using var second = StartWorker();
        try
        {
            var done = await new JobWatch(_databases, second).UntilAsync(job.Id, s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
            Assert.Equal(SubmissionStatus.Succeeded, done.Status);
            Assert.Equal(2, done.Attempts);
            Assert.Contains("attempt 2", done.Log);
            // The first worker may have written newer checkpoints after its last heartbeat: never an older one.
            var resumedAt = int.Parse(Resumed().Match(done.Log).Groups[1].Value);
            Assert.InRange(resumedAt, GradingProgress.FromJson(orphaned.ProgressJson)!.CheckpointStep, 199);

            var result = GradingResult.FromJson(done.ResultJson)!;
            Assert.Equal(Numbers(uninterrupted.Metrics), Numbers(result.Metrics));
            Assert.Equal((uninterrupted.PublicScore, uninterrupted.PrivateScore, uninterrupted.Grade), (result.PublicScore, result.PrivateScore, result.Grade));
            Assert.False(Directory.Exists(Path.Combine(Checkpoints, $"submission-{job.Id}"))); // a finished job's checkpoints are gone
            await using var db = await _databases.CreateDbContextAsync();
            Assert.Equal(1, await db.Submissions.CountAsync());
        }
        finally
        {
            using (var term = Process.Start("kill", ["-TERM", second.Id.ToString()])) { await term.WaitForExitAsync(); }
            await second.WaitForExitAsync();
        }
        Assert.Equal(0, second.ExitCode);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _setup.Dispose();
    }
}
