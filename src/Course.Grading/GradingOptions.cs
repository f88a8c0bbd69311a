namespace Course.Grading;

/// <summary>The <c>Grading</c> section of appsettings.json.</summary>
public sealed class GradingOptions
{
    public const string Section = "Grading";

    /// <summary>
    /// Folder of hidden test splits (<c>&lt;dataset&gt;/test.jsonl</c>), relative to the repository root. The
    /// default is the sample shipped with the repository; a real course points it outside the repository.
    /// </summary>
    public string HiddenDataPath { get; set; } = "hidden-sample";

    /// <summary>
    /// Grading worker processes the site starts beside itself, on <see cref="Queues"/>. 0, the default: none, so a web
    /// node in a cluster starts nothing it was not told to (workers run as <c>./course worker</c> elsewhere); the
    /// repository's appsettings.json says 1 for <c>./course run</c> on one machine.
    /// </summary>
    public int Workers { get; set; }

    /// <summary>
    /// The named queues a worker claims from, comma-separated (<c>gpu</c>, <c>default,gpu</c>); an assignment's
    /// <c>queue:</c> says which queue its submissions join. <c>demos</c> (<see cref="Course.Core.Data.DemoBuild.Queue"/>)
    /// is no assignment's: a worker listing it also builds the missing demo models the site queued, one per job
    /// (<c>demos</c> alone: a worker that only builds them, as the one the site starts for <c>Ml:BuildDemoModels</c>).
    /// </summary>
    public string Queues { get; set; } = Course.Core.Data.Submission.DefaultQueue;

    /// <summary>The names in <see cref="Queues"/>; a malformed one is an error naming the setting.</summary>
    public IReadOnlyList<string> QueueNames()
    {
        var names = Queues.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var bad = names.Where(n => !Course.Core.Data.Submission.IsQueueName(n)).ToList();
        return names.Length > 0 && bad.Count == 0 ? names : throw new InvalidOperationException(
            $"{Section}:Queues lists queue names (lowercase letters, digits, '-' and '_', comma-separated), not '{Queues}'.");
    }

    /// <summary>How long a claimed job stays a worker's without a heartbeat; after that the reaper re-queues it.</summary>
    public int LeaseSeconds { get; set; } = 30;

    public int HeartbeatSeconds { get; set; } = 3;

    /// <summary>
    /// How often each site node reads the jobs in flight for its open pages (one query per node, however many
    /// pages are open); a page shows a job's progress at most this much after its worker's heartbeat wrote it. On
    /// PostgreSQL the node reads them only when notified of a change, and at most this often.
    /// </summary>
    public int ProgressPollMilliseconds { get; set; } = 1000;

    /// <summary>
    /// On PostgreSQL, where a node reads the jobs in flight when the database notifies it of a change (at most once
    /// per <see cref="ProgressPollMilliseconds"/>), how often it reads them anyway, in case a notification was lost.
    /// </summary>
    public int ProgressSafetyPollSeconds { get; set; } = 30;

    /// <summary>
    /// Folder of running jobs' checkpoints (<c>submission-ID/checkpoint-N</c>), relative to the repository root;
    /// null: <c>checkpoints/</c> in <c>Storage:SharedPath</c> when that is set, else in the <c>Data:Path</c> folder. Every worker that may take over a job must see it
    /// (a shared disk for workers on other machines).
    /// </summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Wall time between a job's checkpoints: a re-queued job resumes from its last one and loses at most this much work.</summary>
    public double CheckpointSeconds { get; set; } = 180;

    /// <summary>Training speed on this machine, for the pre-flight estimate shown before submitting.</summary>
    public double ExamplesPerSecond { get; set; } = 20;
}
