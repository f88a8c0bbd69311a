using System.Reflection;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Ml.Hub;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Account;

/// <summary>
/// A student's own data: everything stored about them, as JSON (profile, roles, lesson progress, quiz attempts
/// with their answers, assignment submissions with configurations, results, evaluation reports, their grades and regrade requests, certificates), and its deletion, which also
/// removes the weights the hub kept of their submissions. Results hold back the hidden split's figures until the
/// student's due date, as the site does: an export is not a way round it.
/// </summary>
public sealed class PersonalDataService(IDbContextFactory<CourseDbContext> databases, UserManager<CourseUser> users, ModelHub hub, ContentRepository content,
    TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public async Task<byte[]> ExportAsync(CourseUser user)
    {
        var profile = typeof(CourseUser).GetProperties()
            .Where(p => p.GetCustomAttribute<PersonalDataAttribute>() is not null)
            .ToDictionary(p => p.Name, p => p.GetValue(user)?.ToString());

        await using var db = await databases.CreateDbContextAsync();
        var completions = await db.LessonCompletions.Where(c => c.UserId == user.Id)
            .OrderBy(c => c.LessonId)
            .Select(c => new { lesson = c.LessonId, completed_at = c.CompletedAt })
            .ToListAsync();
        var roles = await db.UserRoles.Where(r => r.UserId == user.Id)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name)
            .ToListAsync();
        var attempts = await db.QuizAttempts.AsNoTracking().Where(a => a.UserId == user.Id).OrderBy(a => a.Id).ToListAsync();
        var submissions = await db.Submissions.AsNoTracking().Where(s => s.UserId == user.Id).OrderBy(s => s.Id).ToListAsync();
        var regrades = (await db.ReportRegradeRequests.AsNoTracking().Where(r => r.UserId == user.Id).OrderBy(r => r.Id).ToListAsync())
            .ToLookup(r => r.SubmissionId);
        var publications = await db.ModelPublications.AsNoTracking().Where(p => p.UserId == user.Id).ToDictionaryAsync(p => p.SubmissionId);
        var certificates = await db.Certificates.AsNoTracking().Where(c => c.UserId == user.Id).OrderBy(c => c.IssuedAt).ToListAsync();
        var released = new Dictionary<string, bool>();
        foreach (var assignment in content.Current.Assignments)
        {
            released[assignment.Id] = AssignmentGrades.HiddenReleased(await SubmissionQueue.DueForAsync(db, user.Id, assignment, CancellationToken.None), clock.GetUtcNow());
        }
        // The report's grade as the student's page shows it: the rubric items applied as they read now, and the comment.
        object? ReportGradeOf(Submission s) =>
            s.ReportGradedAt is { } gradedAt && content.Current.FindAssignment(s.AssignmentId)?.Rules.Report is { } rules
                && ReportGrades.Score(ReportGrades.AppliedIds(s), rules) is var score
                ? new
                {
                    items = score.Applied.Select(i => new { id = i.Id, title = i.Title, points = i.Points }), points = score.Points, max_points = score.MaxPoints,
                    comment = s.ReportComment, graded_at = gradedAt,
                }
                : null;
        SubmissionScores? ScoresOf(Submission s) =>
            GradingResult.FromJson(s.ResultJson) is { } result && content.Current.FindAssignment(s.AssignmentId) is { } assignment
                ? SubmissionScores.For(result, assignment, s.GradeOverride, released[assignment.Id]) : null;

        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            exported_at = clock.GetUtcNow(),
            profile,
            roles,
            lesson_completions = completions,
            quiz_attempts = attempts.Select(a => new
            {
                quiz = a.QuizId, number = a.Number, state = a.State.ToString(), started_at = a.StartedAt, submitted_at = a.SubmittedAt,
                points = a.Points, max_points = a.MaxPoints, discarded = a.Discarded,
                // Stored as JSON text; exported as JSON, not as a string of it.
                answers = JsonDocument.Parse(a.AnswersJson).RootElement,
            }),
            submissions = submissions.Select(s => (Row: s, Scores: ScoresOf(s))).Select(x => new
            {
                id = x.Row.Id, assignment = x.Row.AssignmentId, status = x.Row.Status.ToString(), created_at = x.Row.CreatedAt, finished_at = x.Row.FinishedAt,
                config = x.Row.ConfigYaml, marked_final = x.Row.MarkedFinal, public_score = x.Scores?.PublicScore, private_score = x.Scores?.PrivateScore,
                private_score_ci95 = x.Scores?.PrivateInterval, grade = x.Scores?.Points ?? x.Row.GradeOverride,
                metrics = x.Scores?.Metrics, receipt = x.Scores?.Receipt, error = SubmissionScores.ErrorFor(x.Row, instructor: false),
                kept_model = x.Row.KeepWeights ? Submission.KeptModelId(x.Row.Id) : null,
                model_publication = publications.GetValueOrDefault(x.Row.Id) is { } p ? new
                {
                    published_at = p.PublishedAt, intended_use = p.IntendedUse, limitations = p.Limitations, unpublished_at = p.UnpublishedAt,
                    unpublished_by_instructor = p.TakenDown, unpublish_reason = p.UnpublishReason,
                } : null,
                report = x.Row.Report, report_grade = ReportGradeOf(x.Row),
                regrade_requests = regrades[x.Row.Id].Select(r => new { reason = r.Reason, created_at = r.CreatedAt, reply = r.Reply, resolved_at = r.ResolvedAt }),
            }),
            certificates = certificates.Select(c => new
            {
                id = c.Id, module = c.ModuleId, name = c.StudentName, issued_at = c.IssuedAt,
                achievements = JsonDocument.Parse(c.AchievementsJson).RootElement,
            }),
        }, Json);
    }

    /// <summary>
    /// Deletes the account; its progress, attempts, grants, extensions, submissions and certificates go with it (cascading
    /// foreign keys), then any weights the hub kept of those submissions. The audit trail of what instructors
    /// did is kept.
    /// </summary>
    public async Task<IdentityResult> DeleteAsync(CourseUser user)
    {
        await using var db = await databases.CreateDbContextAsync();
        var submissionIds = await db.Submissions.Where(s => s.UserId == user.Id).Select(s => s.Id).ToListAsync();
        var result = await users.DeleteAsync(user);
        if (!result.Succeeded)
        {
            return result;
        }
        // Every submission, not only those still marked: an instructor may have unmarked one after its weights were kept.
        foreach (var folder in submissionIds.Select(id => hub.PathOf(Submission.KeptModelId(id))).Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
        return result;
    }
}
