using Course.Core.Assignments;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Grading.Queue;

/// <summary>
/// One job of the instructors' grading queue with what the queue shows beside it: the student's e-mail, the
/// hidden-split score with its interval, and how a verification rerun compares with the run it repeats. Computed
/// once per load, because the page reloads the queue every few seconds and renders far more often.
/// </summary>
public sealed record QueueRow(Submission Job, string? Email, string PrivateText, string Verification);

/// <summary>The latest jobs of the grading queue, for instructors.</summary>
public sealed class QueueOverview(IDbContextFactory<CourseDbContext> databases)
{
    /// <summary>How many of the latest jobs the queue lists.</summary>
    public const int Shown = 200;

    public async Task<IReadOnlyList<QueueRow>> LatestAsync(Func<string, Assignment?> findAssignment, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var jobs = await db.Submissions.AsNoTracking().OrderByDescending(s => s.Id).Take(Shown).ToListAsync(cancellationToken);
        var userIds = jobs.Select(j => j.UserId).Distinct().ToList();
        var emails = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, cancellationToken);
        var byId = jobs.ToDictionary(j => j.Id);
        return jobs.Select(job => new QueueRow(job, emails.GetValueOrDefault(job.UserId),
            PrivateText(job, findAssignment(job.AssignmentId)),
            Verification(job, job.VerifiesId is { } original ? byId.GetValueOrDefault(original) : null))).ToList();
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
