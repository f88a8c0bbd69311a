using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Grading;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Statistics;

/// <summary>Item statistics of one version of a quiz, over the analysed attempts that pinned it.</summary>
/// <param name="Quiz">The quiz as those attempts pinned it (items can differ between versions).</param>
/// <param name="IsCurrent">The version the content folder serves now.</param>
public sealed record QuizVersionStatistics(Quiz Quiz, bool IsCurrent, int Attempts, IReadOnlyList<ItemStatistics> Items);

/// <summary>A quiz of the course with its statistics per version, the current version first; empty before any analysed attempt.</summary>
/// <param name="Unreadable">First attempts left out because their pinned copy or saved answers cannot be read.</param>
public sealed record QuizStatistics(Quiz Quiz, IReadOnlyList<QuizVersionStatistics> Versions, int Unreadable);

public sealed record LessonCompletionRate(Lesson Lesson, int Completed, int Students)
{
    /// <summary>Percentage of students who completed the lesson; null without students.</summary>
    public double? Percent => Students == 0 ? null : 100.0 * Completed / Students;
}

/// <param name="Graded">Students with a grade; the others have not submitted or have no graded submission yet.</param>
public sealed record AssignmentDistribution(Assignment Assignment, int Graded, IReadOnlyList<HistogramBin> Bins);

public sealed record CourseStatistics(
    int Students,
    IReadOnlyList<QuizStatistics> Quizzes,
    IReadOnlyList<LessonCompletionRate> Lessons,
    IReadOnlyList<AssignmentDistribution> Assignments);

/// <summary>
/// The instructor's view of the whole course, over students only (instructors trying things out are left out): item
/// statistics per quiz (<see cref="ItemAnalysis"/>), lesson completion rates, and the spread of assignment grades as the
/// gradebook computes them.
/// </summary>
public sealed class CourseStatisticsService(IDbContextFactory<CourseDbContext> databases, ContentRepository content)
{
    public async Task<CourseStatistics> GetAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var students = (await db.Students.Select(u => u.Id).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var completions = (await db.LessonCompletions.AsNoTracking().Select(c => new { c.UserId, c.LessonId }).ToListAsync(cancellationToken))
            .Where(c => students.Contains(c.UserId))
            .CountBy(c => c.LessonId)
            .ToDictionary();
        var attempts = (await db.QuizAttempts.AsNoTracking().Where(a => !a.Discarded && a.State != AttemptState.InProgress).ToListAsync(cancellationToken))
            .Where(a => students.Contains(a.UserId))
            .ToList();
        var submissions = (await db.Submissions.AsNoTracking()
                .Where(s => s.Status == SubmissionStatus.Succeeded || s.GradeOverride != null).ToListAsync(cancellationToken))
            .Where(s => students.Contains(s.UserId))
            .ToList();

        return new CourseStatistics(
            students.Count,
            snapshot.Quizzes.Select(q => Statistics(q, attempts.Where(a => a.QuizId == q.Id))).ToList(),
            snapshot.Lessons.Select(l => new LessonCompletionRate(l, completions.GetValueOrDefault(l.Id), students.Count)).ToList(),
            snapshot.Assignments.Select(a =>
            {
                var grades = submissions.Where(s => s.AssignmentId == a.Id).GroupBy(s => s.UserId)
                    .Select(g => AssignmentGrades.GradeOf(g, a)).OfType<double>().ToList();
                return new AssignmentDistribution(a, grades.Count, ScoreDistribution.Histogram(grades));
            }).ToList());
    }

    /// <summary>
    /// Students' first attempts grouped by the quiz version they pinned: an edit can add, drop or re-key items, so
    /// answers to different versions are never pooled. Re-scoring a quiz moves its attempts onto the current version.
    /// </summary>
    private static QuizStatistics Statistics(Quiz current, IEnumerable<QuizAttempt> attempts)
    {
        var first = ItemAnalysis.FirstAttempts(attempts).Select(a => (Attempt: a, Saved: QuizAttemptService.TryRead(a))).ToList();
        var versions = first.Where(x => x.Saved is not null)
            .GroupBy(x => x.Attempt.QuizVersion)
            .OrderByDescending(g => g.Key == current.Version)
            .ThenByDescending(g => g.Max(x => x.Attempt.SubmittedAt))
            .Select(g =>
            {
                var quiz = g.First().Saved!.Value.Quiz;
                return new QuizVersionStatistics(quiz, g.Key == current.Version, g.Count(),
                    ItemAnalysis.Analyse(quiz, g.Select(x => new AttemptAnswers(x.Saved!.Value.Answers, x.Attempt.Seed)).ToList()));
            })
            .ToList();
        return new QuizStatistics(current, versions, first.Count(x => x.Saved is null));
    }
}
