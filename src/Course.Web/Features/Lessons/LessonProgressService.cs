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

    public async Task SetCompletedAsync(string userId, string lessonId, bool completed, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var existing = await db.LessonCompletions.SingleOrDefaultAsync(c => c.UserId == userId && c.LessonId == lessonId, cancellationToken);
        if (completed && existing is null)
        {
            db.LessonCompletions.Add(new LessonCompletion { UserId = userId, LessonId = lessonId, CompletedAt = clock.GetUtcNow() });
        }
        else if (!completed && existing is not null)
        {
            db.LessonCompletions.Remove(existing);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (completed)
        {
            // A second tab completed it first: the unique index kept one row, which is the desired state.
        }
    }
}
