namespace Course.Core.Data;

/// <summary>The states of a demo-model build; the row is the truth about where the build stands.</summary>
public enum DemoBuildState { Queued, Running, Succeeded, Failed }

/// <summary>
/// The build of one demo model (table <c>DemoBuilds</c>, keyed by its hub id): queued by a site node that finds the
/// model missing, claimed by a worker whose <c>Grading:Queues</c> include <see cref="Queue"/>, under a lease renewed
/// by heartbeats (the database's clock, as submissions' leases), and re-queued when that worker dies.
/// </summary>
public sealed class DemoBuild
{
    /// <summary>The queue name a worker lists to take demo builds; never an assignment's queue.</summary>
    public const string Queue = "demos";

    /// <summary>The model's hub id (<c>course/minilm-ner</c>).</summary>
    public required string ModelId { get; set; }

    /// <summary>The model's place in the demo list: builds are claimed in this order, so the lessons' first models come first.</summary>
    public int Position { get; set; }

    public DemoBuildState State { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>How many times a worker started this build.</summary>
    public int Attempts { get; set; }

    /// <summary>The latest progress the building worker wrote (<c>DemoBuildProgress</c> JSON).</summary>
    public string? ProgressJson { get; set; }

    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public const int ModelIdMaxLength = 200;
}
