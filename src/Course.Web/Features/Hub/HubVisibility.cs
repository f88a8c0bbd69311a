using Course.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Hub;

/// <summary>What one viewer may see of the hub: everything for instructors; for others, all but unpublished submission models.</summary>
public sealed record HubAccess(bool Everything, IReadOnlySet<string> Published)
{
    public bool CanSee(string modelId) => Everything || !HubVisibility.IsPrivate(modelId) || Published.Contains(modelId);

    /// <summary>The answer for a model this viewer may not see, the same as for one that does not exist.</summary>
    public static string NotFound(string modelId) => $"There is no model '{modelId}' in the local hub.";
}

/// <summary>
/// Kept submission models (<see cref="Submission.KeptModelId"/>) are a student's work: private to instructors
/// unless an instructor publishes one (<see cref="Submission.ModelPublished"/>). The hub pages and the playgrounds
/// ask here before listing, showing or running a model.
/// </summary>
public sealed class HubVisibility(IDbContextFactory<CourseDbContext> databases)
{
    /// <summary>A kept submission model; case-insensitively, as a case-insensitive file system opens "Submissions/…" alike.</summary>
    public static bool IsPrivate(string modelId) => modelId.StartsWith(Submission.KeptModelOrganisation + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>One model: asks the database only about a submission model, so a playground run of a public one costs nothing.</summary>
    public async Task<bool> CanSeeAsync(string modelId, bool isInstructor, CancellationToken cancellationToken = default) =>
        !IsPrivate(modelId) || (await ForAsync(isInstructor, cancellationToken)).CanSee(modelId);

    public async Task<HubAccess> ForAsync(bool isInstructor, CancellationToken cancellationToken = default)
    {
        if (isInstructor)
        {
            return new HubAccess(true, new HashSet<string>());
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var published = await db.Submissions.Where(s => s.ModelPublished).Select(s => s.Id).ToListAsync(cancellationToken);
        return new HubAccess(false, published.Select(Submission.KeptModelId).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }
}
