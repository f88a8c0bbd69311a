using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Course.Grading.Tests;

/// <summary>A migrated database with two students: a SQLite file, or a fresh database on the test run's PostgreSQL server.</summary>
public abstract class QueueTest(PostgresServer? server = null) : IAsyncLifetime
{
    private TestDatabase _database = default!;

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
    protected IDbContextFactory<CourseDbContext> Databases { get; private set; } = default!;
    protected SubmissionQueue Queue { get; private set; } = default!;
    protected TinyGradingSetup Setup { get; } = new();
    protected Assignment Assignment => ContentLoader.Load(Setup.Content, new ContentLoadOptions(HiddenDataPath: Setup.Hidden)).FindAssignment("reviews")!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(server);
        Databases = _database.Factory();
        await using var db = await Databases.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Users.AddRange(new CourseUser { Id = "ann", UserName = "ann", Email = "ann@example.com" }, new CourseUser { Id = "bob", UserName = "bob", Email = "bob@example.com" });
        await db.SaveChangesAsync();
        Queue = new SubmissionQueue(Databases, Clock);
    }

    protected Task<Submission> SubmitAsync(string user = "ann", string? key = null, string? yaml = null) =>
        Queue.SubmitAsync(user, Assignment, yaml ?? TinyGradingSetup.Config(2), key ?? Guid.NewGuid().ToString("N"), Setup.DatasetsFolder);

    protected async Task<Submission> ReadAsync(long id)
    {
        await using var db = await Databases.CreateDbContextAsync();
        return await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id);
    }

    /// <summary>The job's lease ran out a minute ago (the database's clock is the judge, so the row is moved, not the clock).</summary>
    protected async Task ExpireLeaseAsync(long id)
    {
        await using var db = await Databases.CreateDbContextAsync();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1);
        await db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.LeaseExpiresAt, past));
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Setup.Dispose();
    }
}

public sealed class SqliteQueueTests() : QueueTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlQueueTests(PostgresServer server) : QueueTests(server);

/// <summary>The queue's transitions, run on both providers (<see cref="SqliteQueueTests"/>, <see cref="PostgreSqlQueueTests"/>).</summary>
public abstract partial class QueueTests(PostgresServer? server) : QueueTest(server)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_job_goes_queued_running_succeeded_and_only_its_lease_holder_records_the_result()
    {
        var job = await SubmitAsync();
        Assert.Equal(SubmissionStatus.Queued, job.Status);

        var claimed = await Queue.ClaimAsync("w1", Lease);
        Assert.Equal((job.Id, SubmissionStatus.Running, 1, "w1"), (claimed!.Id, claimed.Status, claimed.Attempts, claimed.LeaseOwner));
        Assert.Null(await Queue.ClaimAsync("w2", Lease));
        Assert.True(await Queue.HeartbeatAsync(job.Id, "w1", Lease, "{\"Step\":3}", "log", default));
        Assert.False(await Queue.HeartbeatAsync(job.Id, "w2", Lease, null, null, default));
        Assert.False(await Queue.FinishAsync(job.Id, "w2", SubmissionStatus.Succeeded, null, null, true, ""));
        Assert.True(await Queue.FinishAsync(job.Id, "w1", SubmissionStatus.Failed, null, "bad config", true, "log"));
        Assert.False(await Queue.FinishAsync(job.Id, "w1", SubmissionStatus.Succeeded, null, null, true, ""));

        var done = await ReadAsync(job.Id);
        Assert.Equal((SubmissionStatus.Failed, "bad config", (string?)null), (done.Status, done.Error, done.LeaseOwner));
    }

    [Fact]
    public async Task An_expired_lease_is_reaped_back_to_the_queue_and_fails_uncharged_after_the_attempt_cap()
    {
        var job = await SubmitAsync();
        for (var attempt = 1; attempt <= SubmissionQueue.MaxAttempts; attempt++)
        {
            var claimed = await Queue.ClaimAsync($"w{attempt}", Lease);
            Assert.Equal(attempt, claimed!.Attempts);
            Assert.Equal(0, await Queue.ReapAsync()); // lease still valid
            await ExpireLeaseAsync(job.Id);
            Assert.Equal(1, await Queue.ReapAsync());
        }

        var failed = await ReadAsync(job.Id);
        Assert.Equal((SubmissionStatus.Failed, false), (failed.Status, failed.CountsAgainstQuota));
        Assert.Contains($"stopped {SubmissionQueue.MaxAttempts} times", failed.Error);
        Assert.Null(await Queue.ClaimAsync("w9", Lease));
    }

    [Fact]
    public async Task The_same_idempotency_key_makes_one_submission()
    {
        var first = await SubmitAsync(key: "click-1");
        var second = await SubmitAsync(key: "click-1");

        Assert.Equal(first.Id, second.Id);
        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal(1, await db.Submissions.CountAsync());
    }

    [Fact]
    public async Task A_student_who_asks_to_keep_the_model_gets_a_job_that_keeps_its_weights()
    {
        var kept = await Queue.SubmitAsync("ann", Assignment, TinyGradingSetup.Config(2), "keep", Setup.DatasetsFolder, keepWeights: true);
        var dropped = await SubmitAsync(key: "drop");

        Assert.Equal((true, false), ((await ReadAsync(kept.Id)).KeepWeights, (await ReadAsync(dropped.Id)).KeepWeights));
    }

    [Fact]
    public async Task The_daily_quota_counts_utc_days_and_ignores_platform_failures()
    {
        for (var i = 0; i < 3; i++)
        {
            await SubmitAsync();
        }
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync());
        Assert.Contains("today's 3 submissions", refused.Message);
        Assert.Equal(1, (await SubmitAsync(user: "bob")).Id - 3); // other students are not affected

        // A platform failure gives the submission back.
        var job = await Queue.ClaimAsync("w1", Lease);
        await Queue.FinishAsync(job!.Id, "w1", SubmissionStatus.Failed, null, "worker crashed", countsAgainstQuota: false, "");
        await SubmitAsync();

        Clock.Advance(TimeSpan.FromHours(14)); // past 00:00 UTC
        await SubmitAsync();
    }

    [Fact]
    public async Task Deadlines_close_submissions_unless_the_student_has_an_extension()
    {
        Clock.SetUtcNow(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains("was due at 2030-01-01 00:00 UTC", (await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync())).Message);

        await using (var db = await Databases.CreateDbContextAsync())
        {
            db.AssignmentExtensions.Add(new AssignmentExtension { UserId = "ann", AssignmentId = "reviews", Due = new DateTimeOffset(2030, 1, 5, 0, 0, 0, TimeSpan.Zero), GrantedByUserId = "bob" });
            await db.SaveChangesAsync();
        }
        Assert.Equal(SubmissionStatus.Queued, (await SubmitAsync()).Status);
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync(user: "bob"));

        var early = new SubmissionQueue(Databases, new FakeTimeProvider(new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => early.SubmitAsync("bob", Assignment, TinyGradingSetup.Config(2), "k", Setup.DatasetsFolder));
        Assert.Contains("opens at 2026-01-01 00:00 UTC", refused.Message);
    }

    [Fact]
    public async Task An_invalid_configuration_is_refused_with_its_line_errors_and_queues_nothing()
    {
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync(yaml: TinyGradingSetup.Config(2).Replace("learning_rate: 3.0e-3", "learning_rate: 0.5")));

        Assert.Equal(5, refused.Errors.Single().Line);
        Assert.Contains("learning_rate must be within [1E-05, 0.01]", refused.Errors.Single().Message);
        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal(0, await db.Submissions.CountAsync());
    }

    [Fact]
    public async Task Cancelling_stops_a_queued_job_at_once_and_a_running_one_at_its_next_heartbeat()
    {
        var queued = await SubmitAsync();
        var running = await SubmitAsync(user: "bob");
        await Queue.CancelAsync(queued.Id, "ann");
        var claimed = await Queue.ClaimAsync("w1", Lease);
        Assert.Equal(running.Id, claimed!.Id);

        await Queue.CancelAsync(running.Id, "ann"); // not Ann's: nothing happens
        Assert.True(await Queue.HeartbeatAsync(running.Id, "w1", Lease, null, null, default));
        await Queue.CancelAsync(running.Id, "bob");
        Assert.False(await Queue.HeartbeatAsync(running.Id, "w1", Lease, null, null, default));

        Assert.Equal(SubmissionStatus.Cancelled, (await ReadAsync(queued.Id)).Status);
    }
}

public sealed class SqliteInstructorQueueActionTests() : InstructorQueueActionTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlInstructorQueueActionTests(PostgresServer server) : InstructorQueueActionTests(server);

public abstract class InstructorQueueActionTests(PostgresServer? server) : QueueTest(server)
{
    [Fact]
    public async Task Verify_rerun_queues_the_same_configuration_uncharged_and_linked_to_the_original()
    {
        var original = await SubmitAsync();
        await Queue.SetKeepWeightsAsync(original.Id, true);
        var rerun = await Queue.VerifyAsync(original.Id);

        Assert.Equal((original.Id, original.ConfigYaml, false, SubmissionStatus.Queued, true),
            (rerun.VerifiesId, rerun.ConfigYaml, rerun.CountsAgainstQuota, rerun.Status, rerun.KeepWeights));
        Assert.NotEqual(original.Id, rerun.Id);
        // Even when it succeeds, a rerun holds no slot of the student's quota.
        Assert.Equal(original.Id, (await Queue.ClaimAsync("w1", TimeSpan.FromMinutes(1)))!.Id);
        Assert.Equal(rerun.Id, (await Queue.ClaimAsync("w1", TimeSpan.FromMinutes(1)))!.Id);
        Assert.True(await Queue.FinishAsync(rerun.Id, "w1", SubmissionStatus.Succeeded, null, null, true, ""));
        Assert.Null((await ReadAsync(rerun.Id)).QuotaSlot);
    }

    [Fact]
    public async Task Resetting_the_quota_gives_todays_submissions_back_and_regrade_all_requeues_finished_jobs()
    {
        for (var i = 0; i < 3; i++)
        {
            var job = await SubmitAsync();
            var claimed = await Queue.ClaimAsync("w", TimeSpan.FromMinutes(1));
            await Queue.FinishAsync(claimed!.Id, "w", SubmissionStatus.Succeeded, null, null, true, "");
        }
        await Assert.ThrowsAsync<SubmissionRefusedException>(() => SubmitAsync());

        Assert.Equal(3, await Queue.ResetQuotaAsync("ann", "reviews"));
        await SubmitAsync();
        Assert.Equal(3, await Queue.RequeueAllAsync("reviews")); // the three finished ones; the queued one stays as it is

        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal(4, await db.Submissions.CountAsync(s => s.Status == SubmissionStatus.Queued));
    }
}

public class GradingRunTests
{
    [Fact]
    public void A_full_grading_run_on_a_tiny_configuration_scores_both_splits_and_writes_a_receipt()
    {
        using var setup = new TinyGradingSetup();
        var assignment = ContentLoader.Load(setup.Content, new ContentLoadOptions(HiddenDataPath: setup.Hidden)).FindAssignment("reviews")!;

        var result = GradingRun.Execute(assignment, TinyGradingSetup.Config(8), setup.DatasetsFolder, setup.HiddenSplits, setup.Hub, TorchSharp.torch.CPU);

        Assert.InRange(result.PublicScore, 0.8, 1.0);
        Assert.Equal(result.Metrics["eval_accuracy"], result.PublicScore);
        Assert.Equal(result.Metrics["test_accuracy"], result.PrivateScore);
        Assert.Equal(assignment.PointsFor(result.PrivateScore), result.Grade);
        Assert.Equal(["negative", "positive"], GradingResult.PerClass(result.Metrics, "test").Select(c => c.Label).Order());
        Assert.Equal(40, GradingResult.Confusion(result.Metrics, "test")!.Value.Counts.Cast<double>().Sum());
        Assert.Equal(7, result.Receipt.Seed);
        Assert.Equal(TinyGradingSetup.Model, result.Receipt.BaseModel);
        Assert.Equal("cpu", result.Receipt.Device); // the device the run was given and trained on
        Assert.Equal(MklCpuDispatch.OwnChoiceName, result.Receipt.Libraries["oneMKL"]); // this test process never applied the setting
        Assert.Equal(64, result.Receipt.DatasetSha256["hidden_test"].Length);
        // The hidden split's headline metric carries its bootstrap interval around the point score.
        Assert.True(result.Metrics["test_accuracy_ci95_low"] <= result.PrivateScore && result.PrivateScore <= result.Metrics["test_accuracy_ci95_high"],
            $"{result.Metrics["test_accuracy_ci95_low"]} ≤ {result.PrivateScore} ≤ {result.Metrics["test_accuracy_ci95_high"]}");
        Assert.DoesNotContain(result.Metrics.Keys, k => k.StartsWith("eval_", StringComparison.Ordinal) && k.Contains("_ci95_"));
        Assert.DoesNotContain(Directory.GetDirectories(setup.Hub.Root, "*", SearchOption.AllDirectories), d => d.Contains("checkpoint")); // weights dropped
    }

    [Fact]
    public void A_grading_run_prepares_the_data_through_fine_tuning_and_logs_what_preparation_did()
    {
        using var setup = new TinyGradingSetup();
        var assignment = ContentLoader.Load(setup.Content, new ContentLoadOptions(HiddenDataPath: setup.Hidden)).FindAssignment("reviews")!;
        var log = new List<string>();

        var result = GradingRun.Execute(assignment, TinyGradingSetup.Config(1) + "\npreprocessing:\n  train_splits: train+validation",
            setup.DatasetsFolder, setup.HiddenSplits, setup.Hub, TorchSharp.torch.CPU, log: new Lines(log));

        Assert.Contains("data preparation: 200 train rows + 40 validation rows → 240 training rows", log);
        // The receipt keeps the same line, which the student's submission shows.
        Assert.Equal("data preparation: 200 train rows + 40 validation rows → 240 training rows", result.Receipt.DataPreparation);
        Assert.Contains("train_splits train+validation: the 40 validation rows are in the training data, so eval_* figures are not held-out estimates", log);
        Assert.Equal(40, result.Metrics[Course.Ml.Training.FineTuning.ValidationTrainedOnMetric]);
    }

    private sealed class Lines(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}

public class QueueOverviewTests : QueueTest
{
    private static GradingResult Result(double publicScore, double privateScore, params (string Key, double Value)[] extra)
    {
        var metrics = extra.ToDictionary(e => e.Key, e => e.Value);
        (metrics["eval_accuracy"], metrics["test_accuracy"]) = (publicScore, privateScore);
        return new(metrics, publicScore, privateScore, 50,
            new Receipt(42, 1, "test/tiny-bert", new Dictionary<string, string>(), "c", new Dictionary<string, string>(), "cpu", 1));
    }

    private static Submission Job(long id, SubmissionStatus status, double? publicScore, double? privateScore) =>
        new() { Id = id, UserId = "ann", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = $"k{id}", Status = status, PublicScore = publicScore, PrivateScore = privateScore };

    private async Task<Submission> SucceedAsync(Submission job, GradingResult result)
    {
        Assert.Equal(job.Id, (await Queue.ClaimAsync("w", TimeSpan.FromMinutes(1)))!.Id);
        Assert.True(await Queue.FinishAsync(job.Id, "w", SubmissionStatus.Succeeded, result, null, true, ""));
        return await ReadAsync(job.Id);
    }

    [Fact]
    public async Task Lists_the_latest_jobs_first_with_each_students_email_and_a_rerun_compared_with_its_original()
    {
        var original = await SucceedAsync(await SubmitAsync("ann"), Result(0.75, 0.5));
        var rerun = await SucceedAsync(await Queue.VerifyAsync(original.Id), Result(0.75, 0.625));
        var waiting = await SubmitAsync("bob");

        var rows = (await new QueueOverview(Databases).PageAsync(new QueueQuery(), _ => Assignment)).Rows;

        Assert.Equal([(waiting.Id, "bob@example.com", ""), (rerun.Id, "ann@example.com", $" (verifies #{original.Id}: private score differs by +0.125)"),
            (original.Id, "ann@example.com", "")], rows.Select(r => (r.Job.Id, r.Email, r.Verification)));
        Assert.Equal(["", "0.625", "0.5"], rows.Select(r => r.PrivateText));
    }

    [Fact]
    public async Task The_queue_pages_newest_first_and_filters_by_status_assignment_and_email_in_the_database()
    {
        await using (var db = await Databases.CreateDbContextAsync())
        {
            // 7 jobs of ann's (ids 1…7, every third on another assignment, 1 and 4 running), 3 of bob's (8…10, 9 failed).
            db.Submissions.AddRange(Enumerable.Range(1, 10).Select(i => new Submission
            {
                Id = i, UserId = i <= 7 ? "ann" : "bob", AssignmentId = i % 3 == 0 ? "other" : "reviews", ConfigYaml = "", IdempotencyKey = $"k{i}",
                Status = i is 1 or 4 ? SubmissionStatus.Running : i == 9 ? SubmissionStatus.Failed : SubmissionStatus.Queued, CreatedAt = Clock.GetUtcNow(),
            }));
            await db.SaveChangesAsync();
        }
        var overview = new QueueOverview(Databases);
        async Task<(string Ids, int Total, int Running, int Waiting, int Failed)> PageAsync(QueueQuery query)
        {
            var page = await overview.PageAsync(query, _ => Assignment);
            return (string.Join(",", page.Rows.Select(r => r.Job.Id)), page.Total, page.Running, page.Waiting, page.Failed);
        }

        Assert.Equal(("10,9,8,7", 10, 2, 7, 1), await PageAsync(new QueueQuery(PageSize: 4)));
        Assert.Equal(("6,5,4,3", 10, 2, 7, 1), await PageAsync(new QueueQuery(Page: 1, PageSize: 4)));
        Assert.Equal(("2,1", 10, 2, 7, 1), await PageAsync(new QueueQuery(Page: 2, PageSize: 4)));
        Assert.Equal(("", 10, 2, 7, 1), await PageAsync(new QueueQuery(Page: 3, PageSize: 4)));
        Assert.Equal(("4,1", 2, 2, 0, 0), await PageAsync(new QueueQuery(Status: SubmissionStatus.Running)));
        Assert.Equal(("9,6,3", 3, 0, 2, 1), await PageAsync(new QueueQuery(AssignmentId: "other")));
        Assert.Equal(("10,9,8", 3, 0, 2, 1), await PageAsync(new QueueQuery(Email: " BOB@ex")));
        Assert.Equal(("9", 1, 0, 0, 1), await PageAsync(new QueueQuery(Status: SubmissionStatus.Failed, AssignmentId: "other", Email: "bob")));
        Assert.Equal(("7,5", 5, 2, 3, 0), await PageAsync(new QueueQuery(PageSize: 2, AssignmentId: "reviews", Email: "ann")));
        Assert.Equal(("", 0, 0, 0, 0), await PageAsync(new QueueQuery(Email: "carol")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => overview.PageAsync(new QueueQuery(PageSize: QueueOverview.MaxPageSize + 1), _ => Assignment));
    }

    [Fact]
    public async Task In_flight_reads_queued_and_running_jobs_and_those_finished_within_the_look_back_on_the_databases_clock()
    {
        var running = await SubmitAsync("ann");
        var queued = await SubmitAsync("bob");
        var justFinished = await SubmitAsync("ann");
        var longFinished = await SubmitAsync("bob");
        Assert.Equal(running.Id, (await Queue.ClaimAsync("w", TimeSpan.FromMinutes(1)))!.Id);
        Assert.True(await Queue.HeartbeatAsync(running.Id, "w", TimeSpan.FromMinutes(1), "{\"Step\":3}", "a long log", default));
        await using (var db = await Databases.CreateDbContextAsync())
        {
            // FinishedAt as a worker writes it, near the database's clock: a second ago, and an hour ago.
            await db.Submissions.Where(s => s.Id == justFinished.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SubmissionStatus.Succeeded).SetProperty(s => s.FinishedAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
            await db.Submissions.Where(s => s.Id == longFinished.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SubmissionStatus.Failed).SetProperty(s => s.FinishedAt, DateTimeOffset.UtcNow.AddHours(-1)));
        }

        var jobs = await Queue.InFlightAsync(TimeSpan.FromMinutes(1));

        Assert.Equal([(running.Id, "ann", SubmissionStatus.Running, "{\"Step\":3}"), (queued.Id, "bob", SubmissionStatus.Queued, null), (justFinished.Id, "ann", SubmissionStatus.Succeeded, null)],
            jobs.OrderBy(j => j.Id).Select(j => (j.Id, j.UserId, j.Status, j.ProgressJson)));
        Assert.Equal(4, (await Queue.InFlightAsync(TimeSpan.FromHours(2))).Count);
    }

    [Fact]
    public void A_rerun_reads_identical_while_its_scores_match_and_pending_while_it_has_not_succeeded()
    {
        var original = Job(4, SubmissionStatus.Succeeded, 0.7, 0.6);
        var rerun = Job(9, SubmissionStatus.Succeeded, 0.7, 0.6);
        rerun.VerifiesId = 4;

        Assert.Equal(" (verifies #4: identical scores)", QueueOverview.Verification(rerun, original));
        Assert.Equal("", QueueOverview.Verification(rerun, original: null));
        Assert.Equal("", QueueOverview.Verification(original, original));
        rerun.Status = SubmissionStatus.Running;
        Assert.Equal(" (verifies #4)", QueueOverview.Verification(rerun, original));
    }

    [Fact]
    public void The_private_score_shows_its_interval_when_the_run_has_one_and_nothing_without_a_result()
    {
        var job = Job(1, SubmissionStatus.Succeeded, 0.7, 0.6125);
        job.ResultJson = Result(0.7, 0.6125, ("test_accuracy_ci95_low", 0.5), ("test_accuracy_ci95_high", 0.71)).ToJson();

        Assert.Equal("0.6125 (0.5–0.71)", QueueOverview.PrivateText(job, Assignment));
        Assert.Equal("", QueueOverview.PrivateText(job, assignment: null));
        Assert.Equal("", QueueOverview.PrivateText(Job(2, SubmissionStatus.Failed, null, null), Assignment));
    }
}
