using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Lessons;

/// <summary>Per-student "completed" state of lessons; one database context per operation.</summary>
public sealed class LessonProgressService(IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
{
    public async Task<IReadOnlySet<string>> GetCompletedAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var ids = await db.LessonCompletions.Where(c => c.UserId == userId).Select(c => c.LessonId).ToListAsync(cancellationToken);
        return ids.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Sets the state whatever another tab of the same student did meanwhile: completing keeps the one row the unique
    /// index allows, and not completing deletes whatever row there is in one statement, so a row another tab deleted
    /// first is not a conflict (a read-then-remove failed with a concurrency error there and ended the circuit).
    /// </summary>
    public async Task SetCompletedAsync(string userId, string lessonId, bool completed, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (!completed)
        {
            await db.LessonCompletions.Where(c => c.UserId == userId && c.LessonId == lessonId).ExecuteDeleteAsync(cancellationToken);
            return;
        }
        if (await db.LessonCompletions.AnyAsync(c => c.UserId == userId && c.LessonId == lessonId, cancellationToken))
        {
            return;
        }
        db.LessonCompletions.Add(new LessonCompletion { UserId = userId, LessonId = lessonId, CompletedAt = clock.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A second tab completed it first: the unique index kept one row, which is the desired state.
        }
    }
}
