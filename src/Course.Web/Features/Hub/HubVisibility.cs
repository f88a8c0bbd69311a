using Course.Core.Content;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Hub;

/// <summary>What one viewer may see of the hub: everything for instructors; for others, all but the submission models not shared with them.</summary>
public sealed record HubAccess(bool Everything, IReadOnlySet<string> Published)
{
    public bool CanSee(string modelId) => Everything || !HubVisibility.IsPrivate(modelId) || Published.Contains(modelId);

    /// <summary>The answer for a model this viewer may not see, the same as for one that does not exist.</summary>
    public static string NotFound(string modelId) => $"There is no model '{modelId}' in the local hub.";
}

/// <summary>
/// Kept submission models (<see cref="Submission.KeptModelId"/>) are a student's work: private to instructors unless
/// the student published one (<see cref="ModelPublication"/>, <see cref="ModelSharing"/>). A published model is shown
/// to signed-in viewers only, and to a classmate only once the classmate's own due date for that assignment
/// (extensions included) has passed too, so no one still working on it reads another's configuration; its student
/// always sees it. The hub pages and the playgrounds ask here before listing, showing or running a model.
/// </summary>
public sealed class HubVisibility(IDbContextFactory<CourseDbContext> databases, ContentRepository content, TimeProvider clock)
{
    /// <summary>A kept submission model; case-insensitively, as a case-insensitive file system opens "Submissions/…" alike.</summary>
    public static bool IsPrivate(string modelId) => modelId.StartsWith(Submission.KeptModelOrganisation + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>One model: asks the database only about a submission model, so a playground run of a public one costs nothing.</summary>
    public async Task<bool> CanSeeAsync(string modelId, string? userId, bool isInstructor, CancellationToken cancellationToken = default) =>
        !IsPrivate(modelId) || (await ForAsync(userId, isInstructor, cancellationToken)).CanSee(modelId);

    /// <param name="userId">The signed-in viewer, or null for a visitor (who sees no submission model).</param>
    public async Task<HubAccess> ForAsync(string? userId, bool isInstructor, CancellationToken cancellationToken = default)
    {
        if (isInstructor)
        {
            return new HubAccess(true, new HashSet<string>());
        }
        if (userId is null)
        {
            return new HubAccess(false, new HashSet<string>());
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var published = await db.ModelPublications.Where(p => p.UnpublishedAt == null)
            .Select(p => new { p.SubmissionId, p.AssignmentId, p.UserId }).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var closed = new HashSet<string>();
        foreach (var assignmentId in published.Select(p => p.AssignmentId).Distinct())
        {
            // An assignment no longer in the course has no due date left to protect.
            if (content.Current.FindAssignment(assignmentId) is not { } assignment
                || now > await Course.Grading.Queue.SubmissionQueue.DueForAsync(db, userId, assignment, cancellationToken))
            {
                closed.Add(assignmentId);
            }
        }
        return new HubAccess(false, published.Where(p => p.UserId == userId || closed.Contains(p.AssignmentId))
            .Select(p => Submission.KeptModelId(p.SubmissionId)).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }
}
