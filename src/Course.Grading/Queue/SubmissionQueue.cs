using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Submissions;
using Course.Grading.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Course.Yaml;

namespace Course.Grading.Queue;

/// <summary>One job as the live pages follow it: whose, which assignment, its status and its progress (<c>GradingProgress</c> JSON).</summary>
public sealed record JobState(long Id, string UserId, string AssignmentId, SubmissionStatus Status, string? ProgressJson, DateTimeOffset CreatedAt);

/// <summary>Why a submission was refused, with the configuration's errors at their lines when that was the reason.</summary>
public sealed class SubmissionRefusedException(string message, IReadOnlyList<ContentError>? errors = null) : Exception(message)
{
    public IReadOnlyList<ContentError> Errors { get; } = errors ?? [];
}

/// <summary>
/// The grading queue in the database. Every transition is one conditional UPDATE (“set Running where it is
/// still Queued”), so two workers can never both claim a job and a worker that lost its lease can never record
/// a result; the same statements work on PostgreSQL. The reaper re-queues jobs whose lease expired, up to
/// <see cref="MaxAttempts"/> starts.
/// </summary>
public sealed class SubmissionQueue(IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
{
    public const int MaxAttempts = 3;

    /// <summary>
    /// Validates, applies opens/due (with extensions) and the UTC-day quota, and queues with the evaluation
    /// <paramref name="report"/> (checked by <see cref="ReportGrades.Refusal"/>); the same key returns the first submission.
    /// </summary>
    public async Task<Submission> SubmitAsync(string userId, Assignment assignment, string yaml, string idempotencyKey, string datasetsFolder,
        string? report = null, bool keepWeights = false, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await db.Submissions.SingleOrDefaultAsync(s => s.UserId == userId && s.IdempotencyKey == idempotencyKey, cancellationToken) is { } existing)
        {
            return existing;
        }
        var now = clock.GetUtcNow();
        var rules = assignment.Rules;
        if (now < rules.Opens)
        {
            throw new SubmissionRefusedException($"{assignment.Title} opens at {rules.Opens:yyyy-MM-dd HH:mm} UTC.");
        }
        var due = await DueForAsync(db, userId, assignment, cancellationToken);
        if (now > due)
        {
            throw new SubmissionRefusedException($"{assignment.Title} was due at {due:yyyy-MM-dd HH:mm} UTC; submissions are closed.");
        }
        if (ReportGrades.Refusal(assignment, report) is { } refusal)
        {
            throw new SubmissionRefusedException(refusal);
        }
        var (_, errors) = SubmissionRules.Check(assignment, yaml, "submission.yaml", datasetsFolder, Path.GetDirectoryName(assignment.StarterPath)!);
        if (errors.Count > 0)
        {
            throw new SubmissionRefusedException("The configuration does not pass the assignment's rules.", errors);
        }
        return await TakeQuotaSlotAsync(userId, assignment, yaml, string.IsNullOrWhiteSpace(report) ? null : report, keepWeights, idempotencyKey, now, cancellationToken)
            ?? throw new SubmissionRefusedException(
                $"You have used today's {rules.MaxSubmissionsPerDay} submissions for {assignment.Title}; the quota resets at 00:00 UTC.");
    }

    /// <summary>
    /// Inserts the submission into a free slot of today's quota, or returns null when all are taken. The unique
    /// index over (user, assignment, day, slot) decides: of two tabs trying one slot, the second insert fails and
    /// tries the next slot, so exactly <c>max_submissions_per_day</c> get in however many race (no count-then-insert).
    /// </summary>
    private async Task<Submission?> TakeQuotaSlotAsync(string userId, Assignment assignment, string yaml, string? report, bool keepWeights, string idempotencyKey, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        List<int> taken;
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
        {
            taken = await HoldersOf(db, userId, assignment.Id, day).Select(s => s.QuotaSlot!.Value).ToListAsync(cancellationToken);
        }
        foreach (var slot in Enumerable.Range(1, assignment.Rules.MaxSubmissionsPerDay).Except(taken))
        {
            var submission = new Submission
            {
                UserId = userId, AssignmentId = assignment.Id, ConfigYaml = yaml, Report = report, KeepWeights = keepWeights, IdempotencyKey = idempotencyKey,
                Status = SubmissionStatus.Queued, Queue = assignment.Rules.Queue, CreatedAt = now, QuotaDay = day, QuotaSlot = slot,
            };
            await using var db = await databases.CreateDbContextAsync(cancellationToken);
            db.Submissions.Add(submission);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return submission;
            }
            catch (DbUpdateException)
            {
                // Which unique index refused it: the same key (a second click got in first: that one is the
                // submission), or this slot (another tab took it: try the next). Anything else is not ours to hide.
                await using var again = await databases.CreateDbContextAsync(cancellationToken);
                if (await again.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId && s.IdempotencyKey == idempotencyKey, cancellationToken) is { } first)
                {
                    return first;
                }
                if (!await HoldersOf(again, userId, assignment.Id, day).AnyAsync(s => s.QuotaSlot == slot, cancellationToken))
                {
                    throw;
                }
            }
        }
        return null;
    }

    private static IQueryable<Submission> HoldersOf(CourseDbContext db, string userId, string assignmentId, DateOnly day) =>
        db.Submissions.Where(s => s.UserId == userId && s.AssignmentId == assignmentId && s.QuotaDay == day && s.QuotaSlot != null);

    public static async Task<DateTimeOffset> DueForAsync(CourseDbContext db, string userId, Assignment assignment, CancellationToken cancellationToken)
    {
        var extension = await db.AssignmentExtensions.Where(e => e.UserId == userId && e.AssignmentId == assignment.Id)
            .Select(e => (DateTimeOffset?)e.Due).ToListAsync(cancellationToken);
        return extension.Append(assignment.Rules.Due!.Value).Max()!.Value;
    }

    /// <summary>Throws <see cref="DatabaseNotMigratedException"/> when the database lacks this build's migrations.</summary>
    public Task EnsureMigratedAsync(CancellationToken cancellationToken = default) => databases.EnsureMigratedAsync(cancellationToken);

    /// <summary>
    /// Claims the oldest queued job of <paramref name="queues"/> for <paramref name="worker"/>, or null when none is
    /// waiting (<paramref name="queues"/> null: the default queue). One statement picks and takes the job, so
    /// concurrent claimers never get the same one: PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c> lets each pass over the
    /// rows others are taking; SQLite runs the statement under its one writer lock. The lease runs on the database's clock.
    /// </summary>
    public async Task<Submission?> ClaimAsync(string worker, TimeSpan lease, IReadOnlyList<string>? queues = null, CancellationToken cancellationToken = default)
    {
        queues ??= [Submission.DefaultQueue];
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        // {0} worker, {1} lease, {2}… the queues.
        var inQueues = string.Join(", ", queues.Select((_, i) => $"{{{i + 2}}}"));
        var sql = $$"""
            UPDATE "Submissions" SET "Status" = 'Running', "LeaseOwner" = {0}, "LeaseExpiresAt" = {{time.After("{1}")}},
                "Attempts" = "Attempts" + 1, "StartedAt" = COALESCE("StartedAt", {{time.Now}})
            WHERE "Id" = (SELECT "Id" FROM "Submissions" WHERE "Status" = 'Queued' AND "Queue" IN ({{inQueues}})
                          ORDER BY "CreatedAt", "Id" LIMIT 1 {{time.SkipLocked}})
            RETURNING *
            """;
        var claimed = await db.Submissions.FromSqlRaw(sql, [worker, time.Lease(lease), .. queues]).AsNoTracking().ToListAsync(cancellationToken);
        return claimed.SingleOrDefault();
    }

    /// <summary>Renews the lease (on the database's clock) and stores progress; false when the job is no longer this worker's or cancellation was asked.</summary>
    public async Task<bool> HeartbeatAsync(long id, string worker, TimeSpan lease, string? progressJson, string? log, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        // Progress and log only when given: null keeps what is there.
        var progress = progressJson is null ? "" : """, "ProgressJson" = {3}""";
        var logged = log is null ? "" : """, "Log" = {4}""";
        var renewed = await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "Submissions" SET "LeaseExpiresAt" = {{time.After("{2}")}}{{progress}}{{logged}}
            WHERE "Id" = {0} AND "LeaseOwner" = {1} AND "Status" = 'Running' AND NOT "CancelRequested"
            """, [id, worker, time.Lease(lease), progressJson ?? "", log ?? ""], cancellationToken);
        return renewed == 1;
    }

    /// <summary>Records the end of a job; only the lease holder of a running job can, so exactly one result is kept.</summary>
    public async Task<bool> FinishAsync(long id, string worker, SubmissionStatus status, GradingResult? result, string? error, bool countsAgainstQuota,
        string log, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var finished = await db.Submissions.Where(s => s.Id == id && s.LeaseOwner == worker && s.Status == SubmissionStatus.Running)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, status)
                .SetProperty(s => s.FinishedAt, now)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(s => s.ResultJson, result == null ? null : result.ToJson())
                .SetProperty(s => s.PublicScore, result == null ? null : result.PublicScore)
                .SetProperty(s => s.PrivateScore, result == null ? null : result.PrivateScore)
                .SetProperty(s => s.Grade, result == null ? null : result.Grade)
                .SetProperty(s => s.Error, error)
                .SetProperty(s => s.QuotaSlot, s => countsAgainstQuota ? s.QuotaSlot : null)
                .SetProperty(s => s.QuotaDay, s => countsAgainstQuota ? s.QuotaDay : null)
                .SetProperty(s => s.Log, log), cancellationToken);
        return finished == 1;
    }

    /// <summary>Records a cancellation asked for while this worker ran the job; false when it is not this worker's running job or no cancellation was asked.</summary>
    public async Task<bool> FinishCancelledAsync(long id, string worker, string log, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.Submissions.Where(s => s.Id == id && s.LeaseOwner == worker && s.Status == SubmissionStatus.Running && s.CancelRequested)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SubmissionStatus.Cancelled)
                .SetProperty(s => s.FinishedAt, now)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(s => s.Error, "Cancelled.")
                .FreeQuotaSlot()
                .SetProperty(s => s.Log, log), cancellationToken) == 1;
    }

    /// <summary>
    /// Re-queues running jobs whose lease expired by the database's clock (their worker died); after
    /// <see cref="MaxAttempts"/> starts they fail, uncharged. No worker's own clock decides, so a worker whose clock
    /// runs ahead never takes a live job from another.
    /// </summary>
    public async Task<int> ReapAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        var expired = $"""WHERE "Status" = 'Running' AND "LeaseExpiresAt" < {time.Now}""";
        var failed = await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "Submissions" SET "Status" = 'Failed', "FinishedAt" = {{time.Now}}, "LeaseOwner" = NULL, "QuotaSlot" = NULL, "QuotaDay" = NULL, "Error" = {1}
            {{expired}} AND "Attempts" >= {0}
            """, [MaxAttempts, GradingWorker.NotCharged($"The grading worker stopped {MaxAttempts} times while running this job.")], cancellationToken);
        var requeued = await db.Database.ExecuteSqlRawAsync($$"""
            UPDATE "Submissions" SET "Status" = CASE WHEN "CancelRequested" THEN 'Cancelled' ELSE 'Queued' END, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL
            {{expired}} AND "Attempts" < {0}
            """, [MaxAttempts], cancellationToken);
        return failed + requeued;
    }

    /// <summary>Hands a job back to the queue (its worker is stopping); the start still counts in <see cref="Submission.Attempts"/>.</summary>
    public async Task ReleaseAsync(long id, string worker, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Submissions.Where(s => s.Id == id && s.LeaseOwner == worker && s.Status == SubmissionStatus.Running).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.Status, SubmissionStatus.Queued)
            .SetProperty(s => s.LeaseOwner, (string?)null)
            .SetProperty(s => s.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
    }

    /// <summary>Cancels a queued job at once; a running one stops at its worker's next heartbeat.</summary>
    public async Task CancelAsync(long id, string? userId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var mine = db.Submissions.Where(s => s.Id == id && (userId == null || s.UserId == userId));
        var now = clock.GetUtcNow();
        // A cancelled job never charges the daily quota.
        await mine.Where(s => s.Status == SubmissionStatus.Queued).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.Status, SubmissionStatus.Cancelled).SetProperty(s => s.FinishedAt, now).FreeQuotaSlot(), cancellationToken);
        await mine.Where(s => s.Status == SubmissionStatus.Running).ExecuteUpdateAsync(u => u.SetProperty(s => s.CancelRequested, true), cancellationToken);
    }

    /// <summary>Puts a finished job back in the queue (an instructor's regrade or requeue).</summary>
    public async Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default) =>
        await RequeueFinishedAsync(s => s.Id == id, cancellationToken) == 1;

    /// <summary>Re-grades every finished submission of an assignment (after a fix to its data or rubric); returns how many.</summary>
    public Task<int> RequeueAllAsync(string assignmentId, CancellationToken cancellationToken = default) =>
        RequeueFinishedAsync(s => s.AssignmentId == assignmentId, cancellationToken);

    private async Task<int> RequeueFinishedAsync(System.Linq.Expressions.Expression<Func<Submission, bool>> which, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.Submissions.Where(which).Where(s => s.Status != SubmissionStatus.Running && s.Status != SubmissionStatus.Queued)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SubmissionStatus.Queued)
                .SetProperty(s => s.CancelRequested, false)
                .SetProperty(s => s.Attempts, 0)
                .SetProperty(s => s.Error, (string?)null), cancellationToken);
    }

    /// <summary>"Verify rerun": queues the same configuration again, uncharged, linked to the original so the results can be compared.</summary>
    public async Task<Submission> VerifyAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var original = await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id, cancellationToken);
        var rerun = new Submission
        {
            UserId = original.UserId, AssignmentId = original.AssignmentId, ConfigYaml = original.ConfigYaml,
            IdempotencyKey = $"verify-{id}-{Guid.NewGuid():N}", Status = SubmissionStatus.Queued, Queue = original.Queue, CreatedAt = clock.GetUtcNow(),
            VerifiesId = id, KeepWeights = original.KeepWeights, // no quota slot: uncharged
        };
        db.Submissions.Add(rerun);
        await db.SaveChangesAsync(cancellationToken);
        return rerun;
    }

    /// <summary>Gives a student today's submissions back (an instructor's quota reset).</summary>
    public async Task<int> ResetQuotaAsync(string userId, string assignmentId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await HoldersOf(db, userId, assignmentId, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime))
            .ExecuteUpdateAsync(u => u.FreeQuotaSlot(), cancellationToken);
    }

    /// <summary>Keeps (or drops) the fine-tuned weights of a submission that has not run yet, or of its next regrade.</summary>
    public async Task SetKeepWeightsAsync(long id, bool keep, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.KeepWeights, keep), cancellationToken);
    }

    /// <summary>
    /// What the site's live pages show of the jobs in flight, in one statement however many pages are open: every
    /// queued or running job, and those that finished within <paramref name="lookback"/> of the database's clock
    /// (a job that was queued and ended between two polls is seen once). Only the columns the pages follow, not
    /// configurations, logs or results.
    /// </summary>
    public async Task<IReadOnlyList<JobState>> InFlightAsync(TimeSpan lookback, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var time = DatabaseClock.Of(db);
        return await db.Submissions.FromSqlRaw($$"""
                SELECT * FROM "Submissions" WHERE "Status" IN ('Queued', 'Running') OR "FinishedAt" >= {{time.Before("{0}")}}
                """, time.Lease(lookback))
            .AsNoTracking().Select(s => new JobState(s.Id, s.UserId, s.AssignmentId, s.Status, s.ProgressJson, s.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The student's place in line (1 = next), or null when not queued.</summary>
    public async Task<int?> PositionAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var job = await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (job is not { Status: SubmissionStatus.Queued })
        {
            return null;
        }
        return 1 + await db.Submissions.CountAsync(s => s.Status == SubmissionStatus.Queued && (s.CreatedAt < job.CreatedAt || (s.CreatedAt == job.CreatedAt && s.Id < job.Id)), cancellationToken);
    }
}

/// <summary>
/// The database's clock as SQL, in the form the provider stores a <see cref="DateTimeOffset"/>: PostgreSQL's
/// <c>now()</c> in a <c>timestamptz</c>; on SQLite, <c>julianday('now')</c> turned into the integer EF Core's
/// <c>DateTimeOffsetToBinaryConverter</c> writes for a UTC instant (ticks / 1000, shifted left 11 bits, offset bits 0),
/// so leases set here compare with the rows' other times and read back as usual.
/// </summary>
internal sealed record DatabaseClock(string Now, Func<string, string> After, Func<string, string> Before, Func<TimeSpan, object> Lease, string SkipLocked)
{
    private const string SqliteUnits = "(CAST((julianday('now') - 2440587.5) * 864000000.0 AS INTEGER) + 621355968000000)"; // 100 µs since 0001-01-01

    private static readonly DatabaseClock Sqlite = new(
        $"({SqliteUnits} * 2048)", lease => $"(({SqliteUnits} + {lease}) * 2048)", span => $"(({SqliteUnits} - {span}) * 2048)", lease => lease.Ticks / 1000,
        // One writer at a time: the whole statement runs under SQLite's write lock.
        SkipLocked: "");

    private static readonly DatabaseClock PostgreSql = new("now()", lease => $"(now() + {lease})", span => $"(now() - {span})", lease => lease, SkipLocked: "FOR UPDATE SKIP LOCKED");

    public static DatabaseClock Of(CourseDbContext db) => db.Database.IsNpgsql() ? PostgreSql : Sqlite;

    /// <summary>The database's now, to judge the times it wrote (heartbeats) by the clock that wrote them.</summary>
    public static async Task<DateTimeOffset> ReadAsync(CourseDbContext db, CancellationToken cancellationToken)
    {
        var time = Of(db);
        if (time == PostgreSql)
        {
            return await db.Database.SqlQueryRaw<DateTimeOffset>($"SELECT {time.Now} AS \"Value\"").SingleAsync(cancellationToken);
        }
        var stored = await db.Database.SqlQueryRaw<long>($"SELECT {time.Now} AS \"Value\"").SingleAsync(cancellationToken);
        return (DateTimeOffset)new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter().ConvertFromProvider(stored)!;
    }
}

internal static class QuotaSlotUpdates
{
    /// <summary>Gives the submission's slot of its day's quota back: it no longer counts against the quota.</summary>
    public static UpdateSettersBuilder<Submission> FreeQuotaSlot(this UpdateSettersBuilder<Submission> update) =>
        update.SetProperty(s => s.QuotaSlot, (int?)null).SetProperty(s => s.QuotaDay, (DateOnly?)null);
}
