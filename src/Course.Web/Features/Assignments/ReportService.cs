using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Assignments;

/// <summary>
/// The report that counts for one student (their graded submission's) as an instructor grades it: the row, its
/// score under the rubric as it reads now, and the regrade request still open, if any.
/// </summary>
public sealed record ReportEntry(string UserId, string Email, Submission Submission, ReportScore? Score, ReportRegradeRequest? OpenRequest)
{
    /// <summary>Written and not graded yet: what "next ungraded" skips to. A blank report scores 0 without grading.</summary>
    public bool Ungraded => Submission.ReportGradedAt is null && !string.IsNullOrWhiteSpace(Submission.Report);
}

/// <summary>
/// Evaluation reports, Gradescope-style: students edit the report of a submission until their due date (while no
/// instructor has graded it) and file regrade requests with a reason; instructors grade one report at a time
/// across all students with the assignment's reusable rubric items and a comment, and answer the requests. The
/// grade rules (which report counts, its score, the combined grade) are <see cref="ReportGrades"/>'.
/// </summary>
public sealed class ReportService(IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
{
    /// <summary>
    /// A student's report as safe HTML, through the lessons' one Markdown pipeline (raw HTML as text, links checked).
    /// The leading blank line keeps a report that starts with <c>---</c> from being read as front matter and hidden.
    /// </summary>
    public static string RenderHtml(string? report) => LessonMarkdown.Render("\n" + (report ?? ""), "report.md", _ => null).Html;

    /// <summary>Replaces the report of one of the student's own submissions, before their due date and before it is graded.</summary>
    public async Task UpdateReportAsync(string userId, Assignment assignment, long submissionId, string? report)
    {
        if (ReportGrades.Refusal(assignment, report) is { } refusal)
        {
            throw new SubmissionRefusedException(refusal);
        }
        await using var db = await databases.CreateDbContextAsync();
        var due = await SubmissionQueue.DueForAsync(db, userId, assignment, CancellationToken.None);
        if (clock.GetUtcNow() > due)
        {
            throw new SubmissionRefusedException($"{assignment.Title} was due at {due:yyyy-MM-dd HH:mm} UTC; reports can no longer change.");
        }
        var text = string.IsNullOrWhiteSpace(report) ? null : report;
        // Conditional on "not graded": an instructor who grades meanwhile keeps the text they graded.
        var changed = await db.Submissions
            .Where(s => s.Id == submissionId && s.UserId == userId && s.AssignmentId == assignment.Id && s.ReportGradedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Report, text));
        if (changed == 0)
        {
            throw new SubmissionRefusedException("This report has been graded and can no longer change; file a regrade request if you disagree.");
        }
    }

    /// <summary>The regrade requests of the student's submissions of <paramref name="assignment"/>, oldest first.</summary>
    public async Task<ILookup<long, ReportRegradeRequest>> RegradesAsync(string userId, string assignmentId)
    {
        await using var db = await databases.CreateDbContextAsync();
        var requests = await db.ReportRegradeRequests.AsNoTracking()
            .Where(r => r.UserId == userId && db.Submissions.Any(s => s.Id == r.SubmissionId && s.AssignmentId == assignmentId))
            .OrderBy(r => r.Id).ToListAsync();
        return requests.ToLookup(r => r.SubmissionId);
    }

    /// <summary>
    /// Asks for a graded report to be graded again, with a reason (1–<see cref="TextLimits.RegradeText"/> characters);
    /// one open request per submission (the database's filtered unique index refuses a second from another tab).
    /// </summary>
    public async Task RequestRegradeAsync(string userId, long submissionId, string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new SubmissionRefusedException("Say why the report should be graded again.");
        }
        if (TextLimits.Check(reason, TextLimits.RegradeText, "The reason") is { } tooLong)
        {
            throw new SubmissionRefusedException(tooLong);
        }
        await using var db = await databases.CreateDbContextAsync();
        if (!await db.Submissions.AnyAsync(s => s.Id == submissionId && s.UserId == userId && s.ReportGradedAt != null))
        {
            throw new SubmissionRefusedException("Only your own graded reports can be regraded.");
        }
        db.ReportRegradeRequests.Add(new ReportRegradeRequest { SubmissionId = submissionId, UserId = userId, Reason = reason.Trim(), CreatedAt = clock.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException)
        {
            throw new SubmissionRefusedException("A regrade request of this report is open already; wait for its answer.");
        }
    }

    /// <summary>For each student with a graded submission of <paramref name="assignment"/>, the report that counts, by e-mail.</summary>
    public async Task<IReadOnlyList<ReportEntry>> ReportsAsync(Assignment assignment)
    {
        var rules = assignment.Rules.Report ?? throw new InvalidOperationException($"{assignment.Id} has no report: block.");
        await using var db = await databases.CreateDbContextAsync();
        var students = await db.Students.Select(u => new { u.Id, u.Email }).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id);
        var submissions = await db.Submissions.AsNoTracking()
            .Where(s => s.AssignmentId == assignment.Id && (s.Status == SubmissionStatus.Succeeded || s.GradeOverride != null)).ToListAsync();
        var open = await db.ReportRegradeRequests.AsNoTracking().Where(r => r.ResolvedAt == null).ToDictionaryAsync(r => r.SubmissionId);
        return submissions.Where(s => students.ContainsKey(s.UserId)).GroupBy(s => s.UserId)
            .Select(g => AssignmentGrades.GradedSubmission(g, assignment.Rules.FinalSubmissions))
            .OfType<Submission>()
            .Select(s => new ReportEntry(s.UserId, students[s.UserId], s, ReportGrades.ScoreOf(s, rules), open.GetValueOrDefault(s.Id)))
            .OrderBy(e => e.Email, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Grades a report: the rubric items applied (ids the assignment's rubric lists) and a comment, with who graded
    /// and when; grading again replaces both. Written to the student's audit trail.
    /// </summary>
    public async Task GradeAsync(string actorId, Assignment assignment, long submissionId, IReadOnlyCollection<string> itemIds, string? comment)
    {
        var rules = assignment.Rules.Report ?? throw new InvalidOperationException($"{assignment.Id} has no report: block.");
        if (itemIds.FirstOrDefault(id => rules.Item(id) is null) is { } unknown)
        {
            throw new ArgumentException($"'{unknown}' is not an item of {assignment.Id}'s report rubric.");
        }
        TextLimits.Require(comment, TextLimits.ReportComment, "The comment");
        await using var db = await databases.CreateDbContextAsync();
        var submission = await db.Submissions.SingleAsync(s => s.Id == submissionId && s.AssignmentId == assignment.Id);
        submission.ReportItems = string.Join(' ', rules.Rubric.Select(i => i.Id!).Where(itemIds.Contains));
        submission.ReportComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        submission.ReportGradedAt = clock.GetUtcNow();
        submission.ReportGradedByUserId = actorId;
        var score = ReportGrades.ScoreOf(submission, rules)!;
        db.AuditEntries.Add(new AuditEntry
        {
            At = submission.ReportGradedAt.Value, ActorUserId = actorId, Action = "assignment.report-grade", SubjectUserId = submission.UserId,
            Details = $"{assignment.Id} #{submissionId}: report {score.Points:0.##} / {score.MaxPoints:0.##} ({submission.ReportItems})",
        });
        await db.SaveChangesAsync();
    }

    /// <summary>The e-mail addresses of everyone who graded a report, by user id (the page says who graded each).</summary>
    public async Task<IReadOnlyDictionary<string, string>> GraderNamesAsync()
    {
        await using var db = await databases.CreateDbContextAsync();
        return await db.Users.Where(u => db.Submissions.Any(s => s.ReportGradedByUserId == u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id);
    }

    /// <summary>Answers an open regrade request with a reply (1–<see cref="TextLimits.RegradeText"/> characters), which closes it.</summary>
    public async Task AnswerRegradeAsync(string actorId, long requestId, string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply))
        {
            throw new ArgumentException("The reply says what was decided.");
        }
        TextLimits.Require(reply, TextLimits.RegradeText, "The reply");
        await using var db = await databases.CreateDbContextAsync();
        var answered = await db.ReportRegradeRequests.Where(r => r.Id == requestId && r.ResolvedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Reply, reply.Trim()).SetProperty(r => r.ResolvedAt, clock.GetUtcNow()).SetProperty(r => r.ResolvedByUserId, actorId));
        if (answered == 0)
        {
            throw new ArgumentException("This regrade request has been answered already.");
        }
    }
}

/// <summary>How a grade reads wherever one is shown (the assignment page, the progress dashboard).</summary>
public static class GradeText
{
    public static string Of(AssignmentGrade grade, Assignment assignment)
    {
        if (grade.Automatic is not { } automatic)
        {
            return "none (no graded submission)";
        }
        if (assignment.Rules.Report is not { } rules)
        {
            return $"{automatic:0.#} / 100 points";
        }
        return grade is { Combined: { } combined, Report: { } report }
            ? $"{combined:0.#} / 100 points (automatic {automatic:0.#} × {1 - rules.Weight:0.##} + report {report.Percent:0.#} × {rules.Weight:0.##})"
            : $"automatic {automatic:0.#} / 100 points; the report awaits grading";
    }
}
