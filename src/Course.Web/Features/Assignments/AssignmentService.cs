using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Web.Features.Quizzes;
using Course.Web.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

public sealed record LeaderboardRow(int Rank, string Name, double Score, DateTimeOffset At, bool IsYou);

public sealed record GradebookRow(string UserId, string Email, IReadOnlyDictionary<string, double?> Quizzes, IReadOnlyDictionary<string, double?> Assignments);

/// <summary>
/// Submissions from the browser and what students and instructors read back: history, the leaderboard
/// (public scores until <c>due</c>, private scores after, Kaggle-style, under pseudonyms), and the gradebook.
/// An assignment's grade is the best graded submission's points (an instructor override wins).
/// </summary>
public sealed class AssignmentService(
    IDbContextFactory<CourseDbContext> databases, SubmissionQueue queue, ContentRepository content, CourseEnvironment environment,
    IOptions<ContentOptions> contentOptions, IOptions<GradingOptions> grading, RequestLimiter limiter, ClientConnection connection, TimeProvider clock)
{
    public string DatasetsFolder => environment.Resolve(Path.Combine(contentOptions.Value.Path, "datasets"));

    public Assignment? Find(string id) => content.Current.FindAssignment(id);

    public IReadOnlyList<Assignment> All => content.Current.Assignments;

    /// <summary>Queues a submission; refused with a message when the student (or their address) submits too often.</summary>
    public Task<Submission> SubmitAsync(string userId, Assignment assignment, string yaml, string idempotencyKey)
    {
        if (limiter.Check(LimitedAction.Submission, userId, connection.Address) is { } refusal)
        {
            throw new SubmissionRefusedException(refusal);
        }
        return queue.SubmitAsync(userId, assignment, yaml, idempotencyKey, DatasetsFolder);
    }

    /// <summary>Rows of the assignment's public train split (read once per page, not per render).</summary>
    public int TrainRows(Assignment assignment) =>
        new Course.Ml.Hub.DatasetCatalog(DatasetsFolder).Show(assignment.Rules.Dataset!).Splits.GetValueOrDefault("train");

    /// <summary>Examples × epochs at the speed measured on this machine (Grading:ExamplesPerSecond).</summary>
    public TimeSpan Estimate(Assignment assignment, int trainRows, double epochs)
    {
        var examples = Math.Min(trainRows, assignment.Rules.Limits.MaxTrainExamples) * epochs;
        return TimeSpan.FromSeconds(examples / grading.Value.ExamplesPerSecond + 20);
    }

    public async Task<IReadOnlyList<Submission>> HistoryAsync(string userId, string assignmentId)
    {
        await using var db = await databases.CreateDbContextAsync();
        var rows = await db.Submissions.AsNoTracking().Where(s => s.UserId == userId && s.AssignmentId == assignmentId).ToListAsync();
        return rows.OrderByDescending(s => s.Id).ToList();
    }

    public Task<int?> PositionAsync(long id) => queue.PositionAsync(id);

    public Task CancelAsync(long id, string? userId) => queue.CancelAsync(id, userId);

    /// <summary>A later due date for one student (an instructor action, in the audit trail).</summary>
    public async Task GrantExtensionAsync(string actorId, string userId, string assignmentId, DateTimeOffset due, string? reason)
    {
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        await using var db = await databases.CreateDbContextAsync();
        var now = clock.GetUtcNow();
        db.AssignmentExtensions.Add(new AssignmentExtension { UserId = userId, AssignmentId = assignmentId, Due = due, GrantedByUserId = actorId, GrantedAt = now });
        db.AuditEntries.Add(new AuditEntry { At = now, ActorUserId = actorId, Action = "assignment.extension", SubjectUserId = userId, Details = $"{assignmentId}: due {due:yyyy-MM-dd HH:mm} UTC{AuditEntry.Because(reason)}" });
        await db.SaveChangesAsync();
    }

    public async Task<int> ResetQuotaAsync(string actorId, string userId, string assignmentId, string? reason)
    {
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        var reset = await queue.ResetQuotaAsync(userId, assignmentId);
        await AuditAsync(actorId, "assignment.quota-reset", userId, $"{assignmentId}: {reset} of today's submissions given back{AuditEntry.Because(reason)}");
        return reset;
    }

    /// <summary>Sets (or clears, with null) the points of one submission by hand; the grade is then the best of the student's submissions.</summary>
    public async Task OverrideGradeAsync(string actorId, long submissionId, double? points, string? reason)
    {
        if (points is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(points), "Points are between 0 and 100.");
        }
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        await using var db = await databases.CreateDbContextAsync();
        var submission = await db.Submissions.SingleAsync(s => s.Id == submissionId);
        var before = submission.GradeOverride ?? submission.Grade;
        submission.GradeOverride = points;
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), ActorUserId = actorId, Action = "assignment.grade-override", SubjectUserId = submission.UserId,
            Details = $"{submission.AssignmentId} #{submissionId}: {before?.ToString("0.#") ?? "–"} → {points?.ToString("0.#") ?? "computed grade"}{AuditEntry.Because(reason)}",
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Lists a kept submission model in the hub for everyone (or makes it private again); audited, as it shows a student's work.</summary>
    public async Task SetModelPublishedAsync(string actorId, long submissionId, bool published)
    {
        await using var db = await databases.CreateDbContextAsync();
        var submission = await db.Submissions.SingleAsync(s => s.Id == submissionId);
        submission.ModelPublished = published;
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), ActorUserId = actorId, Action = published ? "hub.publish-model" : "hub.unpublish-model", SubjectUserId = submission.UserId,
            Details = Submission.KeptModelId(submissionId),
        });
        await db.SaveChangesAsync();
    }

    private async Task AuditAsync(string actorId, string action, string? subject, string details)
    {
        await using var db = await databases.CreateDbContextAsync();
        db.AuditEntries.Add(new AuditEntry { At = clock.GetUtcNow(), ActorUserId = actorId, Action = action, SubjectUserId = subject, Details = details });
        await db.SaveChangesAsync();
    }

    public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(Assignment assignment, string viewerId)
    {
        var afterDue = clock.GetUtcNow() > assignment.Rules.Due;
        await using var db = await databases.CreateDbContextAsync();
        var graded = await db.Submissions.AsNoTracking()
            .Where(s => s.AssignmentId == assignment.Id && s.Status == SubmissionStatus.Succeeded)
            .Select(s => new { s.UserId, s.PublicScore, s.PrivateScore, s.FinishedAt }).ToListAsync();
        return graded.GroupBy(s => s.UserId)
            .Select(g => g.MaxBy(s => afterDue ? s.PrivateScore : s.PublicScore)!)
            .OrderByDescending(s => afterDue ? s.PrivateScore : s.PublicScore)
            .Select((s, i) => new LeaderboardRow(i + 1, Pseudonym(s.UserId), (afterDue ? s.PrivateScore : s.PublicScore) ?? 0, s.FinishedAt ?? default, s.UserId == viewerId))
            .ToList();
    }

    /// <summary>A stable name that reveals no one ("Learner 3f9a1c").</summary>
    public static string Pseudonym(string userId) => "Learner " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..6];

    /// <summary>Every student × every graded quiz (by its policy) and assignment (best graded submission, or the override).</summary>
    public async Task<IReadOnlyList<GradebookRow>> GradebookAsync()
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync();
        var students = await db.Students.OrderBy(u => u.Email).Select(u => new { u.Id, u.Email }).ToListAsync();
        var attempts = await db.QuizAttempts.AsNoTracking().ToListAsync();
        var submissions = await db.Submissions.AsNoTracking().Where(s => s.Status == SubmissionStatus.Succeeded || s.GradeOverride != null).ToListAsync();
        return students.Select(u => new GradebookRow(u.Id, u.Email ?? u.Id,
            snapshot.GradedQuizzes.ToDictionary(q => q.Id, q => QuizAttemptService.GradeOf(q, attempts.Where(a => a.UserId == u.Id && a.QuizId == q.Id)) * 100),
            snapshot.Assignments.ToDictionary(a => a.Id, a => GradeOf(submissions.Where(s => s.UserId == u.Id && s.AssignmentId == a.Id))))).ToList();
    }

    /// <summary>The assignment grade from one student's submissions: the best graded one's points, an override winning (null before any).</summary>
    public static double? GradeOf(IEnumerable<Submission> submissions) => submissions
        .Where(s => s.Status == SubmissionStatus.Succeeded || s.GradeOverride != null)
        .Select(s => s.GradeOverride ?? s.Grade).Max();

    public async Task<string> GradebookCsvAsync()
    {
        var rows = await GradebookAsync();
        var snapshot = content.Current;
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', new[] { "email" }.Concat(snapshot.GradedQuizzes.Select(q => q.Id)).Concat(snapshot.Assignments.Select(a => a.Id)).Select(Escape)));
        foreach (var row in rows)
        {
            csv.AppendLine(string.Join(',', new[] { Escape(row.Email) }
                .Concat(row.Quizzes.Values.Concat(row.Assignments.Values).Select(v => v?.ToString("0.##", CultureInfo.InvariantCulture) ?? ""))));
        }
        return csv.ToString();
    }

    /// <summary>
    /// One text cell, quoted as RFC 4180 says when it holds a comma, quote or line break. A cell a spreadsheet would
    /// take for a formula (starting with =, +, -, @, tab or CR; a student chooses their e-mail address) gets a
    /// leading single quote, as OWASP's CSV-injection advice says, so "=HYPERLINK(…)" opens as text.
    /// </summary>
    private static string Escape(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
