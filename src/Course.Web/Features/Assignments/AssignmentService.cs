using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Ml.Data;
using Course.Ml.Hub;
using Course.Ml.Training;
using Course.Web.Features.Quizzes;
using Course.Web.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

public sealed record LeaderboardRow(int Rank, string Name, double Score, DateTimeOffset At, bool IsYou);

/// <summary>
/// One of a student's submissions as that student may see it (scores held back until released), with its report's
/// score (null: no report block, or a written report not graded yet).
/// </summary>
public sealed record SubmissionRow(Submission Submission, SubmissionScores? Scores, bool InFinalSelection, string? Error, ReportScore? Report);

/// <summary>
/// A student's standing on one assignment: their own due date (extensions included), whether the hidden split's
/// figures are released to them, their submissions newest first, and the grade (automatic, report, combined) once released.
/// </summary>
public sealed record StudentStanding(DateTimeOffset Due, bool HiddenReleased, int FinalSubmissions, IReadOnlyList<SubmissionRow> Submissions, AssignmentGrade? Grade)
{
    public int MarkedFinal => Submissions.Count(r => r.Submission.MarkedFinal);
}

public sealed record GradebookRow(string UserId, string Email, IReadOnlyDictionary<string, double?> Quizzes, IReadOnlyDictionary<string, AssignmentGrade> Assignments);

/// <summary>
/// Submissions from the browser and what students and instructors read back: a student's standing (validation
/// figures until their due date, hidden-split figures after), final selection, the leaderboard (public scores until
/// every due date has passed, private scores after, Kaggle-style, under pseudonyms), and the gradebook. The grade
/// rules are <see cref="AssignmentGrades"/>'.
/// </summary>
public sealed class AssignmentService(
    IDbContextFactory<CourseDbContext> databases, SubmissionQueue queue, ContentRepository content, CourseEnvironment environment,
    IOptions<ContentOptions> contentOptions, IOptions<GradingOptions> grading, RequestLimiter limiter, ClientConnection connection, TimeProvider clock,
    ModelHub hub)
{
    public string DatasetsFolder => environment.Resolve(Path.Combine(contentOptions.Value.Path, "datasets"));

    public Assignment? Find(string id) => content.Current.FindAssignment(id);

    public IReadOnlyList<Assignment> All => content.Current.Assignments;

    /// <summary>
    /// Queues a submission with its evaluation report; refused with a message when the student (or their address)
    /// submits too often, or the report is too long.
    /// </summary>
    /// <param name="keepModel">Keep the fine-tuned weights in the hub, so the student can share the model after the due date.</param>
    public Task<Submission> SubmitAsync(string userId, Assignment assignment, string yaml, string idempotencyKey, string? report = null, bool keepModel = false)
    {
        if (limiter.Check(LimitedAction.Submission, userId, connection.Address) is { } refusal)
        {
            throw new SubmissionRefusedException(refusal);
        }
        return queue.SubmitAsync(userId, assignment, yaml, idempotencyKey, DatasetsFolder, report, keepModel);
    }

    /// <summary>Rows of the assignment's public train split (read once per page, not per render).</summary>
    public int TrainRows(Assignment assignment) =>
        new Course.Ml.Hub.DatasetCatalog(DatasetsFolder).Show(assignment.Rules.Dataset!).Splits.GetValueOrDefault("train");

    /// <summary>
    /// <c>./course datasets report</c> on the assignment's public train and validation splits, what a student reads before
    /// choosing a <c>preprocessing:</c> block. Rows over the starter's <c>max_seq_length</c> are counted with the starter
    /// model's tokenizer when the hub has it; without it (a fresh site still importing models) that one finding is left out.
    /// </summary>
    public DatasetReport DataReport(Assignment assignment)
    {
        var folder = new Course.Ml.Hub.DatasetCatalog(DatasetsFolder).Show(assignment.Rules.Dataset!).Path;
        var (train, validation) = (Path.Combine(folder, "train.jsonl"), Path.Combine(folder, "validation.jsonl"));
        var splits = new Dictionary<string, Dataset> { ["train"] = Dataset.FromJsonLines(train), ["validation"] = Dataset.FromJsonLines(validation) };
        // A starter may leave the splits out, as a submission may: the grader supplies the public ones.
        var starter = TrainingConfig.Parse(File.ReadAllText(assignment.StarterPath), assignment.StarterPath, Path.GetDirectoryName(assignment.StarterPath)!, train, validation);
        var tokens = starter.ModelNameOrPath is { } model && hub.Contains(model) ? TokenLength.Of(Course.Ml.Tokenization.AutoTokenizer.FromPretrained(model, hub), starter.MaxSeqLength) : null;
        return DatasetReport.Create(assignment.Rules.Dataset!, splits, tokens);
    }

    /// <summary>Examples × epochs at the speed measured on this machine (Grading:ExamplesPerSecond).</summary>
    public TimeSpan Estimate(Assignment assignment, int trainRows, double epochs)
    {
        var examples = Math.Min(trainRows, assignment.Rules.Limits.MaxTrainExamples) * epochs;
        return TimeSpan.FromSeconds(examples / grading.Value.ExamplesPerSecond + 20);
    }

    /// <summary>What the student may see of their own submissions on <paramref name="assignment"/> now.</summary>
    public async Task<StudentStanding> StandingAsync(string userId, Assignment assignment)
    {
        await using var db = await databases.CreateDbContextAsync();
        var rows = await db.Submissions.AsNoTracking().Where(s => s.UserId == userId && s.AssignmentId == assignment.Id).ToListAsync();
        var due = await SubmissionQueue.DueForAsync(db, userId, assignment, CancellationToken.None);
        var released = AssignmentGrades.HiddenReleased(due, clock.GetUtcNow());
        var selection = AssignmentGrades.FinalSelection(rows, assignment.Rules.FinalSubmissions).Select(s => s.Id).ToHashSet();
        var submissions = rows.OrderByDescending(s => s.Id).Select(s => new SubmissionRow(s,
            GradingResult.FromJson(s.ResultJson) is { } result ? SubmissionScores.For(result, assignment, s.GradeOverride, released) : null,
            selection.Contains(s.Id), SubmissionScores.ErrorFor(s, instructor: false),
            assignment.Rules.Report is { } report ? ReportGrades.ScoreOf(s, report) : null)).ToList();
        return new StudentStanding(due, released, assignment.Rules.FinalSubmissions, submissions,
            released ? ReportGrades.GradeOf(rows, assignment) : null);
    }

    /// <summary>
    /// Marks (or unmarks) one of the student's graded submissions as final, before their due date and within the
    /// assignment's <c>final_submissions</c>. Two tabs marking at once could both pass the count, so the count is
    /// checked again after the write and a mark that overshoots is taken back.
    /// </summary>
    public async Task MarkFinalAsync(string userId, Assignment assignment, long submissionId, bool final)
    {
        await using var db = await databases.CreateDbContextAsync();
        var due = await SubmissionQueue.DueForAsync(db, userId, assignment, CancellationToken.None);
        if (clock.GetUtcNow() > due)
        {
            throw new SubmissionRefusedException($"{assignment.Title} was due at {due:yyyy-MM-dd HH:mm} UTC; the final selection is closed.");
        }
        var mine = db.Submissions.Where(s => s.Id == submissionId && s.UserId == userId && s.AssignmentId == assignment.Id);
        if (!final)
        {
            await mine.ExecuteUpdateAsync(u => u.SetProperty(s => s.MarkedFinal, false));
            return;
        }
        var limit = assignment.Rules.FinalSubmissions;
        var marked = db.Submissions.Where(s => s.UserId == userId && s.AssignmentId == assignment.Id && s.MarkedFinal);
        if (await marked.CountAsync() >= limit)
        {
            throw new SubmissionRefusedException($"You have marked {limit} final submission{(limit == 1 ? "" : "s")} already; unmark one first.");
        }
        if (await mine.Where(s => s.Status == SubmissionStatus.Succeeded).ExecuteUpdateAsync(u => u.SetProperty(s => s.MarkedFinal, true)) == 0)
        {
            throw new SubmissionRefusedException($"Only your own graded submissions of {assignment.Title} can be marked final.");
        }
        if (await marked.CountAsync() > limit)
        {
            await mine.ExecuteUpdateAsync(u => u.SetProperty(s => s.MarkedFinal, false));
            throw new SubmissionRefusedException($"You have marked {limit} final submission{(limit == 1 ? "" : "s")} already; unmark one first.");
        }
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

    private async Task AuditAsync(string actorId, string action, string? subject, string details)
    {
        await using var db = await databases.CreateDbContextAsync();
        db.AuditEntries.Add(new AuditEntry { At = clock.GetUtcNow(), ActorUserId = actorId, Action = action, SubjectUserId = subject, Details = details });
        await db.SaveChangesAsync();
    }

    /// <summary>Whether the leaderboard shows private scores: once every student's due date has passed.</summary>
    public async Task<bool> LeaderboardPrivateAsync(Assignment assignment)
    {
        await using var db = await databases.CreateDbContextAsync();
        var extensions = await db.AssignmentExtensions.Where(e => e.AssignmentId == assignment.Id).Select(e => e.Due).ToListAsync();
        return AssignmentGrades.LeaderboardPrivate(assignment, extensions, clock.GetUtcNow());
    }

    /// <summary>
    /// One row per student: the best public score while the leaderboard is public; once private, the best private
    /// score of the student's final selection (what the grade is computed from).
    /// </summary>
    public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(Assignment assignment, string viewerId)
    {
        var isPrivate = await LeaderboardPrivateAsync(assignment);
        await using var db = await databases.CreateDbContextAsync();
        // Every open assignment page asks every 2 s: only the columns the ranking reads, not configurations, logs or results.
        var graded = await db.Submissions.AsNoTracking().Where(s => s.AssignmentId == assignment.Id && s.Status == SubmissionStatus.Succeeded)
            .Select(s => new Submission
            {
                Id = s.Id, UserId = s.UserId, AssignmentId = s.AssignmentId, ConfigYaml = "", IdempotencyKey = "", Status = s.Status,
                PublicScore = s.PublicScore, PrivateScore = s.PrivateScore, MarkedFinal = s.MarkedFinal, FinishedAt = s.FinishedAt,
            }).ToListAsync();
        return graded.GroupBy(s => s.UserId)
            .Select(g => isPrivate
                ? AssignmentGrades.FinalSelection(g, assignment.Rules.FinalSubmissions).MaxBy(s => s.PrivateScore)!
                : g.MaxBy(s => s.PublicScore)!)
            .Select(s => (s.UserId, Score: (isPrivate ? s.PrivateScore : s.PublicScore) ?? 0, s.FinishedAt))
            .OrderByDescending(s => s.Score)
            .Select((s, i) => new LeaderboardRow(i + 1, Pseudonym(s.UserId), s.Score, s.FinishedAt ?? default, s.UserId == viewerId))
            .ToList();
    }

    /// <summary>A stable name that reveals no one ("Learner 3f9a1c").</summary>
    public static string Pseudonym(string userId) => "Learner " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..6];

    /// <summary>
    /// Every student × every graded quiz (by its policy) and assignment (the rubric on the final selection with the
    /// report, <see cref="ReportGrades"/>; for instructors, before the due date too).
    /// </summary>
    public async Task<IReadOnlyList<GradebookRow>> GradebookAsync()
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync();
        var students = await db.Students.OrderBy(u => u.Email).Select(u => new { u.Id, u.Email }).ToListAsync();
        var attempts = await db.QuizAttempts.AsNoTracking().ToListAsync();
        var submissions = await db.Submissions.AsNoTracking().Where(s => s.Status == SubmissionStatus.Succeeded || s.GradeOverride != null).ToListAsync();
        return students.Select(u => new GradebookRow(u.Id, u.Email ?? u.Id,
            snapshot.GradedQuizzes.ToDictionary(q => q.Id, q => QuizAttemptService.GradeOf(q, attempts.Where(a => a.UserId == u.Id && a.QuizId == q.Id)) * 100),
            snapshot.Assignments.ToDictionary(a => a.Id, a => ReportGrades.GradeOf(submissions.Where(s => s.UserId == u.Id && s.AssignmentId == a.Id), a)))).ToList();
    }

    /// <summary>
    /// The gradebook as CSV: a column per graded quiz, and per assignment its grade under the assignment's id; an
    /// assignment with a report has <c>ID_automatic</c> and <c>ID_report</c> (0–100) before it, the column <c>ID</c>
    /// being the combined grade, so an import that reads <c>ID</c> gets the assignment's grade either way.
    /// </summary>
    public async Task<string> GradebookCsvAsync()
    {
        var rows = await GradebookAsync();
        var snapshot = content.Current;
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', new[] { "email" }.Concat(snapshot.GradedQuizzes.Select(q => q.Id))
            .Concat(snapshot.Assignments.SelectMany(GradebookColumns)).Select(Escape)));
        foreach (var row in rows)
        {
            var grades = snapshot.Assignments.SelectMany(a => GradebookCells(a, row.Assignments.GetValueOrDefault(a.Id, Course.Grading.AssignmentGrade.None)));
            csv.AppendLine(string.Join(',', new[] { Escape(row.Email) }
                .Concat(row.Quizzes.Values.Concat(grades).Select(v => v?.ToString("0.##", CultureInfo.InvariantCulture) ?? ""))));
        }
        return csv.ToString();
    }

    /// <summary>The gradebook's columns of one assignment (the page's and the CSV's): the grade alone, or automatic, report and combined.</summary>
    public static IEnumerable<string> GradebookColumns(Assignment assignment) =>
        assignment.Rules.Report is null ? [assignment.Id] : [$"{assignment.Id}_automatic", $"{assignment.Id}_report", assignment.Id];

    /// <summary>The cells under <see cref="GradebookColumns"/>, in the same order.</summary>
    public static IEnumerable<double?> GradebookCells(Assignment assignment, AssignmentGrade grade) =>
        assignment.Rules.Report is null ? [grade.Combined] : [grade.Automatic, grade.Report?.Percent, grade.Combined];

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
