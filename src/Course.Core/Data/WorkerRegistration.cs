namespace Course.Core.Data;

/// <summary>
/// A grading worker as it last reported itself (table <c>GradingWorkers</c>): written at its start, on every heartbeat
/// (idle or running a job) and at a clean stop, so instructors see which workers there are and what each is doing.
/// Times are the database's clock, as leases are; a row whose <see cref="LastHeartbeatAt"/> is older than a lease
/// belongs to a lost worker.
/// </summary>
public sealed class WorkerRegistration
{
    /// <summary>The worker's id, the same it writes as <see cref="Submission.LeaseOwner"/> (<c>host:pid</c>).</summary>
    public required string Id { get; set; }

    public required string Host { get; set; }
    public int ProcessId { get; set; }

    /// <summary>The resolved <c>Ml:Device</c> jobs train on (<c>cpu</c>, <c>cuda:0</c>).</summary>
    public required string Device { get; set; }

    /// <summary>The named queues it claims from, comma-separated.</summary>
    public required string Queues { get; set; }

    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastHeartbeatAt { get; set; }

    /// <summary>The submission it is running, or null when idle.</summary>
    public long? CurrentSubmissionId { get; set; }

    /// <summary>The demo model it is building (<see cref="DemoBuild.ModelId"/>), or null.</summary>
    public string? CurrentDemoModelId { get; set; }

    /// <summary>Set by a clean shutdown; a worker that died leaves it null and is told apart by its old heartbeat.</summary>
    public DateTimeOffset? StoppedAt { get; set; }

    public const int IdMaxLength = 200;
}
