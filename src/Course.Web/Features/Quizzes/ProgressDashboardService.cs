using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Grading;
using Course.Grading.Queue;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Quizzes;

public sealed record TopicProgress(Topic Topic, int LessonsCompleted, int Lessons);

public sealed record QuizStanding(Quiz Quiz, double? Grade, int AttemptsUsed, bool InProgress);

public sealed record AssignmentStanding(string Id, string Title, DateTimeOffset? Due, string Status);

/// <summary>One student's progress: lessons per topic, quiz grades by each quiz's policy, assignments, and where to continue.</summary>
public sealed record StudentProgress(
    IReadOnlyList<TopicProgress> Topics,
    IReadOnlyList<QuizStanding> Quizzes,
    IReadOnlyList<AssignmentStanding> Assignments,
    Lesson? ContinueWith);

/// <summary>
/// Builds the progress dashboard; instructors get the same view for any student, the student's view: an
/// assignment shows its grade only once the student's due date has passed (it comes from the hidden split).
/// </summary>
public sealed class ProgressDashboardService(IDbContextFactory<CourseDbContext> databases, ContentRepository content, TimeProvider clock)
{
    public async Task<StudentProgress> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var completed = (await db.LessonCompletions.Where(c => c.UserId == userId).Select(c => c.LessonId).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var attempts = await db.QuizAttempts.Where(a => a.UserId == userId).ToListAsync(cancellationToken);

        var topics = snapshot.Module.Topics
            .Select(t => new TopicProgress(t, snapshot.LessonsOf(t.Id).Count(l => completed.Contains(l.Id)), snapshot.LessonsOf(t.Id).Count()))
            .ToList();
        var quizzes = snapshot.Quizzes.Select(q =>
        {
            var mine = attempts.Where(a => a.QuizId == q.Id).ToList();
            return new QuizStanding(q, QuizAttemptService.GradeOf(q, mine), mine.Count(a => !a.Discarded),
                mine.Any(a => a.State == AttemptState.InProgress && !a.Discarded));
        }).ToList();
        var submissions = await db.Submissions.AsNoTracking().Where(s => s.UserId == userId).ToListAsync(cancellationToken);
        var assignments = new List<AssignmentStanding>();
        foreach (var a in snapshot.Assignments)
        {
            var mine = submissions.Where(s => s.AssignmentId == a.Id).ToList();
            var due = await SubmissionQueue.DueForAsync(db, userId, a, cancellationToken);
            var grade = AssignmentGrades.HiddenReleased(due, clock.GetUtcNow()) ? ReportGrades.GradeOf(mine, a) : AssignmentGrade.None;
            var bestPublic = mine.Where(s => s.Status == SubmissionStatus.Succeeded).Max(s => s.PublicScore);
            var status = grade.Automatic is not null ? GradeText.Of(grade, a)
                : bestPublic is { } score ? $"best validation {a.Rules.Metric} {score:0.###}; graded after the due date"
                : mine.Count == 0 ? "not submitted"
                : mine.MaxBy(s => s.Id)!.Status.ToString().ToLowerInvariant();
            assignments.Add(new AssignmentStanding(a.Id, a.Title, due, status));
        }
        return new StudentProgress(topics, quizzes, assignments, snapshot.Lessons.FirstOrDefault(l => !completed.Contains(l.Id)));
    }
}
