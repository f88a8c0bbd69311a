using Course.Core.Data;
using Course.Grading.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Grading.Workers;

/// <summary>What a registered worker is doing, by its row: stopped (a clean shutdown), lost (silent for a whole lease), running a job, or idle.</summary>
public enum WorkerState { Running, Idle, Lost, Stopped }

/// <summary>One worker of the instructors' grading page, judged once per load.</summary>
/// <param name="Since">Time since its last heartbeat, by the database's clock.</param>
/// <param name="CurrentAssignmentId">The assignment of the job it runs (null: none, or the submission is gone).</param>
public sealed record WorkerRow(WorkerRegistration Worker, WorkerState State, TimeSpan Since, string? CurrentAssignmentId)
{
    /// <summary>"12 s ago"; minutes, hours and days once seconds stop being readable.</summary>
    public string HeartbeatText => Since.TotalSeconds switch
    {
        < 120 => $"{Math.Max(0, (int)Since.TotalSeconds)} s ago",
        < 7200 => $"{(int)Since.TotalMinutes} min ago",
        < 172800 => $"{(int)Since.TotalHours} h ago",
        _ => $"{(int)Since.TotalDays} d ago",
    };

    /// <summary>"#12 reviews", "demo build course/minilm-ner", or empty when the worker reports no job.</summary>
    public string CurrentJobText => Worker.CurrentSubmissionId is { } id ? $"#{id} {CurrentAssignmentId}".TrimEnd()
        : Worker.CurrentDemoModelId is { } model ? $"demo build {model}" : "";
}

/// <summary>The registered grading workers and their states, for instructors (rows pruned after <see cref="WorkerRegistry.Retention"/>).</summary>
public sealed class WorkerOverview(IDbContextFactory<CourseDbContext> databases, IOptions<GradingOptions> options)
{
    public async Task<IReadOnlyList<WorkerRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = await DatabaseClock.ReadAsync(db, cancellationToken);
        var workers = await db.GradingWorkers.AsNoTracking().ToListAsync(cancellationToken);
        var jobIds = workers.Where(w => w.CurrentSubmissionId is not null).Select(w => w.CurrentSubmissionId!.Value).ToList();
        var assignments = await db.Submissions.Where(s => jobIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.AssignmentId, cancellationToken);
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        return workers
            .Select(w => new WorkerRow(w, StateOf(w, now, lease), now - w.LastHeartbeatAt,
                w.CurrentSubmissionId is { } id ? assignments.GetValueOrDefault(id) : null))
            .OrderBy(r => r.State).ThenBy(r => r.Worker.Host).ThenBy(r => r.Worker.ProcessId).ToList();
    }

    /// <summary>
    /// A worker is lost once its last heartbeat is older than a lease: by then the reaper may have given its job to
    /// another worker, so whatever the row still says about a job is no longer true. A stopped worker said so itself.
    /// </summary>
    public static WorkerState StateOf(WorkerRegistration worker, DateTimeOffset now, TimeSpan lease) =>
        worker.StoppedAt is not null ? WorkerState.Stopped
        : now - worker.LastHeartbeatAt > lease ? WorkerState.Lost
        : worker.CurrentSubmissionId is not null || worker.CurrentDemoModelId is not null ? WorkerState.Running
        : WorkerState.Idle;
}
