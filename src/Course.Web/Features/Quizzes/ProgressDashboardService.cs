using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
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

/// <summary>Builds the progress dashboard; instructors get the same view for any student.</summary>
public sealed class ProgressDashboardService(IDbContextFactory<CourseDbContext> databases, ContentRepository content)
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
        var assignments = snapshot.Assignments.Select(a =>
        {
            var mine = submissions.Where(s => s.AssignmentId == a.Id).ToList();
            var best = mine.Select(s => s.GradeOverride ?? s.Grade).Max();
            var status = best is { } points ? $"{points:0.#} / 100 points"
                : mine.Count == 0 ? "not submitted"
                : mine.MaxBy(s => s.Id)!.Status.ToString().ToLowerInvariant();
            return new AssignmentStanding(a.Id, a.Title, a.Rules.Due, status);
        }).ToList();
        return new StudentProgress(topics, quizzes, assignments, snapshot.Lessons.FirstOrDefault(l => !completed.Contains(l.Id)));
    }
}
