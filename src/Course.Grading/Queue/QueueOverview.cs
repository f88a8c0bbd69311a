using Course.Core.Assignments;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Queue;

/// <summary>
/// One job of the instructors' grading queue with what the queue shows beside it: the student's e-mail, the
/// hidden-split score with its interval, and how a verification rerun compares with the run it repeats. Computed
/// once per load, because the page renders far more often than it reads the queue.
/// </summary>
public sealed record QueueRow(Submission Job, string? Email, string PrivateText, string Verification);

/// <summary>
/// Which jobs of the grading queue an instructor asks for: a page (0-based) of <paramref name="PageSize"/>, newest
/// first, narrowed to one status, one assignment and the students whose e-mail contains <paramref name="Email"/>
/// (any case); null or empty: all.
/// </summary>
public sealed record QueueQuery(int Page = 0, int PageSize = QueueQuery.DefaultPageSize, SubmissionStatus? Status = null, string? AssignmentId = null, string? Email = null)
{
    public const int DefaultPageSize = 50;
}

/// <summary>One page of the queue, how many jobs match the query in all, and how many of those are running, waiting and failed.</summary>
public sealed record QueuePage(IReadOnlyList<QueueRow> Rows, int Total, int Running, int Waiting, int Failed)
{
    public int Pages(int pageSize) => Math.Max(1, (Total + pageSize - 1) / pageSize);
}

/// <summary>The grading queue for instructors, paged and filtered in the database.</summary>
public sealed class QueueOverview(IDbContextFactory<CourseDbContext> databases)
{
    /// <summary>The most jobs one page lists.</summary>
    public const int MaxPageSize = 200;

    public async Task<QueuePage> PageAsync(QueueQuery query, Func<string, Assignment?> findAssignment, CancellationToken cancellationToken = default)
    {
        if (query.Page < 0 || query.PageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(query), $"A queue page is 0 or more and holds 1 to {MaxPageSize} jobs, not page {query.Page} of {query.PageSize}.");
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var matching = db.Submissions.AsNoTracking();
        if (query.Status is { } status)
        {
            matching = matching.Where(s => s.Status == status);
        }
        if (!string.IsNullOrEmpty(query.AssignmentId))
        {
            matching = matching.Where(s => s.AssignmentId == query.AssignmentId);
        }
        if (!string.IsNullOrWhiteSpace(query.Email))
        {
            // Both sides upper-cased (upper() in SQL), so the search ignores case on both providers; the address as
            // stored, not Identity's NormalizedEmail, which accounts made outside UserManager lack.
            var email = query.Email.Trim().ToUpperInvariant();
            matching = matching.Where(s => db.Users.Any(u => u.Id == s.UserId && u.Email!.ToUpper().Contains(email)));
        }
        var counts = await matching.GroupBy(s => s.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        // Ids only grow: newest first is a stable order for Skip/Take.
        var jobs = await matching.OrderByDescending(s => s.Id).Skip(query.Page * query.PageSize).Take(query.PageSize).ToListAsync(cancellationToken);
        var userIds = jobs.Select(j => j.UserId).Distinct().ToList();
        var emails = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, cancellationToken);
        // A verification rerun compares with its original, which may sit on another page.
        var originalIds = jobs.Where(j => j.VerifiesId is not null).Select(j => j.VerifiesId!.Value).Distinct().ToList();
        var originals = originalIds.Count == 0 ? []
            : await db.Submissions.AsNoTracking().Where(s => originalIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, cancellationToken);
        var rows = jobs.Select(job => new QueueRow(job, emails.GetValueOrDefault(job.UserId),
            PrivateText(job, findAssignment(job.AssignmentId)),
            Verification(job, job.VerifiesId is { } original ? originals.GetValueOrDefault(original) : null))).ToList();
        int Count(params SubmissionStatus[] statuses) => statuses.Sum(s => counts.GetValueOrDefault(s));
        return new QueuePage(rows, counts.Values.Sum(), Count(SubmissionStatus.Running), Count(SubmissionStatus.Queued),
            Count(SubmissionStatus.Failed, SubmissionStatus.TimedOut));
    }

    /// <summary>Every account's e-mail by id, for the instructor's student pickers.</summary>
    public async Task<IReadOnlyDictionary<string, string?>> EmailsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().OrderBy(u => u.Email).ToDictionaryAsync(u => u.Id, u => u.Email, cancellationToken);
    }

    /// <summary>Instructors see the hidden split's score at any time, with its 95 % interval where the run has one.</summary>
    public static string PrivateText(Submission job, Assignment? assignment) =>
        GradingResult.FromJson(job.ResultJson) is not { } result || assignment is null ? ""
        : SubmissionScores.For(result, assignment, job.GradeOverride, released: true) is { PrivateInterval: { } ci } scores
            ? $"{scores.PrivateScore:0.####} ({ci.Low:0.###}–{ci.High:0.###})"
            : $"{result.PrivateScore:0.####}";

    /// <summary>
    /// A verification rerun (same configuration, same seed) must reproduce its original's scores exactly; anything
    /// else points at nondeterminism or tampering. Empty for other jobs, or where the original is no longer listed.
    /// </summary>
    public static string Verification(Submission job, Submission? original) =>
        job.VerifiesId is not { } id || original is null ? ""
        : job.Status != SubmissionStatus.Succeeded ? $" (verifies #{id})"
        : job.PrivateScore == original.PrivateScore && job.PublicScore == original.PublicScore ? $" (verifies #{id}: identical scores)"
        : $" (verifies #{id}: private score differs by {job.PrivateScore - original.PrivateScore:+0.####;-0.####})";
}
