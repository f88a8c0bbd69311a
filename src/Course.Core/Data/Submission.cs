namespace Course.Core.Data;

/// <summary>The states of a grading job; the database row is the truth about where a submission stands.</summary>
public enum SubmissionStatus { Queued, Running, Succeeded, Failed, Cancelled, TimedOut }

/// <summary>
/// A configuration submitted for an assignment, and the grading job it becomes: claimed by one worker at a time
/// under a lease renewed by heartbeats, re-queued by the reaper when a worker dies (<see cref="Attempts"/> counts
/// the starts), with live progress and, at the end, the result.
/// </summary>
public sealed class Submission
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string AssignmentId { get; set; }
    public required string ConfigYaml { get; set; }

    /// <summary>Sent by the form; a second request with the same key returns the first submission (double clicks).</summary>
    public required string IdempotencyKey { get; set; }

    public SubmissionStatus Status { get; set; }

    /// <summary>
    /// The named queue the job waits in, from its assignment's <c>queue:</c> (default <see cref="DefaultQueue"/>); a
    /// worker claims only from the queues its <c>Grading:Queues</c> lists, so GPU workers can take only GPU jobs.
    /// </summary>
    public string Queue { get; set; } = DefaultQueue;

    public const string DefaultQueue = "default";

    public const int QueueMaxLength = 50;

    /// <summary>A queue name: lowercase letters, digits, '-' and '_' (it appears in settings, logs and SQL parameters).</summary>
    public static bool IsQueueName(string? name) =>
        name is { Length: > 0 and <= QueueMaxLength } && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_');
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>How many times a worker started this job.</summary>
    public int Attempts { get; set; }

    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public bool CancelRequested { get; set; }

    /// <summary>
    /// The UTC day and the slot (1 … <c>max_submissions_per_day</c>) of that day's quota this submission holds.
    /// A unique index over (user, assignment, day, slot) lets the database itself refuse a second holder of a slot,
    /// so parallel tabs cannot exceed the quota. Both null for a submission that holds none: a platform failure,
    /// a cancellation, an instructor's quota reset or a verify rerun (null slots never collide).
    /// </summary>
    public DateOnly? QuotaDay { get; set; }

    public int? QuotaSlot { get; set; }

    /// <summary>Whether this submission counts against its day's quota (charged): it holds a slot.</summary>
    public bool CountsAgainstQuota => QuotaSlot is not null;

    /// <summary>Latest progress as JSON (step, total, epoch, loss, ETA) and the curve of logged points, written by the worker.</summary>
    public string? ProgressJson { get; set; }

    public string? ResultJson { get; set; }
    public double? PublicScore { get; set; }
    public double? PrivateScore { get; set; }
    public double? Grade { get; set; }

    /// <summary>
    /// Marked by the student as one of the assignment's final submissions: after the due date the grade is the rubric
    /// on the best private score among them (with none marked, the best public scores stand in).
    /// </summary>
    public bool MarkedFinal { get; set; }

    /// <summary>Instructor override of <see cref="Grade"/>, with its reason in the audit trail.</summary>
    public double? GradeOverride { get; set; }

    public string? Error { get; set; }
    public string Log { get; set; } = "";

    /// <summary>An instructor's "verify rerun": this job re-grades that submission; the two results are compared.</summary>
    public long? VerifiesId { get; set; }

    /// <summary>Keep the fine-tuned weights in the hub (as <see cref="KeptModelId"/>) instead of dropping them after scoring.</summary>
    public bool KeepWeights { get; set; }

    /// <summary>The hub organisation of kept submission models, private to instructors unless published.</summary>
    public const string KeptModelOrganisation = "submissions";

    /// <summary>Where the hub keeps this submission's weights when asked to.</summary>
    public static string KeptModelId(long submissionId) => $"{KeptModelOrganisation}/submission-{submissionId}";

    /// <summary>The submission whose kept model <paramref name="modelId"/> is, or null for any other id.</summary>
    public static long? KeptSubmissionId(string modelId)
    {
        const string prefix = KeptModelOrganisation + "/submission-";
        return modelId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
               && long.TryParse(modelId.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id : null;
    }

    /// <summary>
    /// The student's evaluation report (Markdown, within the assignment's <c>report.max_words</c>); null or blank when
    /// none was written, which scores 0 unless an instructor grades it otherwise.
    /// </summary>
    public string? Report { get; set; }

    /// <summary>
    /// The ids of the report rubric items an instructor applied, space-separated. Only ids are stored: titles and
    /// points are read from the assignment's front matter, so editing an item changes every report that applied it.
    /// </summary>
    public string? ReportItems { get; set; }

    public string? ReportComment { get; set; }

    /// <summary>When an instructor last graded the report; null: not graded yet.</summary>
    public DateTimeOffset? ReportGradedAt { get; set; }

    public string? ReportGradedByUserId { get; set; }

}

/// <summary>
/// A student's kept submission model shared on the course hub, with the model card's text the student wrote. Only the
/// student publishes (after their due date); the student or an instructor unpublishes. One row per submission: publishing
/// again after the student's own unpublish reuses it, and who did what when stays in the row and the audit trail.
/// </summary>
public sealed class ModelPublication
{
    public long Id { get; set; }
    public long SubmissionId { get; set; }

    /// <summary>The student whose submission it is (the publisher).</summary>
    public required string UserId { get; set; }

    public required string AssignmentId { get; set; }

    /// <summary>The card's "Intended use" section, Markdown written by the student.</summary>
    public required string IntendedUse { get; set; }

    /// <summary>The card's "Limitations" section, Markdown written by the student.</summary>
    public required string Limitations { get; set; }

    public DateTimeOffset PublishedAt { get; set; }

    /// <summary>Null while the model is listed; set when the student or an instructor took it down.</summary>
    public DateTimeOffset? UnpublishedAt { get; set; }

    public string? UnpublishedByUserId { get; set; }

    public string? UnpublishReason { get; set; }

    public bool IsPublished => UnpublishedAt is null;

    /// <summary>Taken down by someone else than the student (an instructor): the student may not publish it again.</summary>
    public bool TakenDown => UnpublishedAt is not null && UnpublishedByUserId != UserId;

    /// <summary>Characters of each section the student writes (a card section, not an essay).</summary>
    public const int SectionMaxLength = 2_000;
}

/// <summary>A later due date for one student on one assignment.</summary>
public sealed class AssignmentExtension
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string AssignmentId { get; set; }
    public DateTimeOffset Due { get; set; }
    public required string GrantedByUserId { get; set; }
    public DateTimeOffset GrantedAt { get; set; }
}

/// <summary>
/// A student's request to have their evaluation report graded again, with a reason; open until an instructor
/// answers it with a reply. At most one request of a submission is open at a time (a filtered unique index).
/// </summary>
public sealed class ReportRegradeRequest
{
    public long Id { get; set; }
    public long SubmissionId { get; set; }
    public required string UserId { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? Reply { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public string? ResolvedByUserId { get; set; }
}
