namespace Course.Core.Data;

/// <summary>A student marked a lesson complete. Lesson ids are "topic/slug" (see Lesson.Id), stable across edits.</summary>
public sealed class LessonCompletion
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string LessonId { get; set; }
    public DateTimeOffset CompletedAt { get; set; }
}

/// <summary>An instructor-issued registration link, used when registration is invite-only.</summary>
public sealed class Invitation
{
    public long Id { get; set; }

    /// <summary>Random URL-safe code; the link is /Account/Register?invite=CODE.</summary>
    public required string Code { get; set; }

    public required string CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string? UsedByUserId { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}
