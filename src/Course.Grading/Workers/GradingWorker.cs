using System.Text;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.Extensions.Logging;

namespace Course.Grading.Workers;

/// <summary>Where a worker finds what it grades against, and its timing.</summary>
/// <param name="Device">Where jobs train: the process's resolved <c>Ml:Device</c>.</param>
public sealed record WorkerSettings(string ContentRoot, HiddenSplits HiddenSplits, ModelHub Hub, TorchSharp.torch.Device Device, string WorkerId)
{
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where jobs' checkpoints go (<c>submission-ID/</c> inside); a job resumes from the one there.</summary>
    public string CheckpointRoot { get; init; } = Path.Combine(Path.GetTempPath(), "course-checkpoints");

    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The named queues this worker claims from (<c>Grading:Queues</c>); <see cref="DemoBuild.Queue"/> among them takes demo-model builds.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [Submission.DefaultQueue];

    /// <summary>The demo models a demo build's row may name (tests give tiny ones under the same ids).</summary>
    public IReadOnlyList<DemoModel> Demos { get; init; } = DemoModels.All;

    /// <summary>The longest wait between retries of a failed database call (the wait doubles from one second up to this).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What the worker registers as (<c>GradingWorkers</c>): its id, this machine and process, device and queues.</summary>
    public WorkerRegistration Registration() => new()
    {
        Id = WorkerId, Host = Environment.MachineName, ProcessId = Environment.ProcessId, Device = Device.ToString(), Queues = string.Join(",", Queues),
    };
}

/// <summary>The progress a worker writes to the database: the latest step and the curves the site draws.</summary>
public sealed class GradingProgress
{
    public int Step { get; set; }
    public int TotalSteps { get; set; }
    public double Epoch { get; set; }
    public double Loss { get; set; }
    public double EtaSeconds { get; set; }
    public double ExamplesPerSecond { get; set; }
    public List<double[]> LossCurve { get; set; } = [];
    public List<double[]> EvalCurve { get; set; } = [];

    /// <summary>The step of the job's newest checkpoint (0: none yet); a re-queued job resumes from there.</summary>
    public int CheckpointStep { get; set; }

    public static GradingProgress? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<GradingProgress>(json, GradingResult.Json);
}

/// <summary>
/// A grading worker: reap, claim the oldest job, run it on a thread of its own while a heartbeat renews the
/// lease and writes progress, record the outcome. A lost lease (the reaper gave the job away) or a
/// cancellation stops the run; only the lease holder can record a result, so a job ends exactly once.
/// The worker reports itself in the <c>GradingWorkers</c> table (<see cref="WorkerRegistry"/>) at its start, on every
/// heartbeat, idle or running, and at a clean stop. The database going away for a while (<see cref="TransientDatabaseFailure"/>)
/// stops none of this: each call is retried with backoff, and a job in training goes on training meanwhile.
/// </summary>
/// <param name="demos">The demo builds' queue: needed when <see cref="WorkerSettings.Queues"/> lists <see cref="DemoBuild.Queue"/>.</param>
public sealed partial class GradingWorker(SubmissionQueue queue, WorkerRegistry registry, WorkerSettings settings, ILogger<GradingWorker> logger,
    DemoBuildQueue? demos = null)
{
    private readonly WorkerRegistration _registration = settings.Registration();

    /// <summary>The submission queues among the worker's queues (all but <see cref="DemoBuild.Queue"/>).</summary>
    private readonly IReadOnlyList<string> _gradingQueues = settings.Queues.Where(q => q != DemoBuild.Queue).ToList();

    private readonly DemoBuildQueue? _demos = settings.Queues.Contains(DemoBuild.Queue)
        ? demos ?? throw new ArgumentException($"a worker on the {DemoBuild.Queue} queue needs the demo builds' queue", nameof(demos))
        : null;

    public async Task RunAsync(CancellationToken stop)
    {
        logger.LogInformation("Grading worker {Worker} started on {Device}, queues {Queues}; {Mkl}", settings.WorkerId, _registration.Device, _registration.Queues, MklCpuDispatch.Applied?.Reason);
        var failures = 0;
        var schemaChecked = false;
        var registered = false;
        var lastBeat = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!schemaChecked)
                {
                    // A worker never migrates (./course migrate does, or the site on SQLite): it refuses a database
                    // that lacks this build's migrations, and waits out one it cannot reach yet like any outage.
                    await queue.EnsureMigratedAsync(stop);
                    schemaChecked = true;
                }
                if (!registered)
                {
                    await registry.RegisterAsync(_registration, stop);
                    (registered, lastBeat) = (true, DateTimeOffset.UtcNow);
                }
                await queue.ReapAsync(stop);
                var job = _gradingQueues.Count == 0 ? null : await queue.ClaimAsync(settings.WorkerId, settings.Lease, _gradingQueues, stop);
                var build = job is null && _demos is not null ? await ClaimDemoBuildAsync(stop) : null;
                if (failures > 0)
                {
                    logger.LogInformation("Grading worker {Worker}: the database is back after {Failures} failed attempts", settings.WorkerId, failures);
                    failures = 0;
                }
                if (job is not null)
                {
                    await ReportJobAsync(job.Id);
                    await RunJobAsync(job, stop);
                    lastBeat = DateTimeOffset.MinValue; // idle again: say so at once
                }
                else if (build is not null)
                {
                    await RunDemoBuildAsync(build, stop);
                    lastBeat = DateTimeOffset.MinValue;
                }
                else
                {
                    // Idle: the registry hears from this worker once a heartbeat, as it does while a job runs.
                    if (DateTimeOffset.UtcNow - lastBeat >= settings.Heartbeat)
                    {
                        await registry.BeatAsync(_registration, current: null, cancellationToken: stop);
                        await registry.PruneAsync(stop);
                        lastBeat = DateTimeOffset.UtcNow;
                    }
                    await Task.Delay(settings.Poll, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                // The database restarting or unreachable: a worker waits it out rather than dying.
                var wait = Backoff(++failures);
                logger.LogWarning("Grading worker {Worker}: the database failed ({Error}); retrying in {Seconds} s", settings.WorkerId, ex.Message, wait.TotalSeconds);
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        if (registered)
        {
            try
            {
                await registry.StopAsync(settings.WorkerId, CancellationToken.None);
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                // Left running in the table, it turns lost after a lease: the page still tells the truth.
                logger.LogWarning("Grading worker {Worker}: could not record its stop ({Error})", settings.WorkerId, ex.Message);
            }
        }
        logger.LogInformation("Grading worker {Worker} stopped", settings.WorkerId);
    }

    /// <summary>
    /// Tells the registry the job just claimed. A database failure here must not cost the job its run (the claim
    /// is made): the job's first heartbeat reports it again.
    /// </summary>
    private async Task ReportJobAsync(long id)
    {
        try
        {
            await registry.BeatAsync(_registration, id, cancellationToken: CancellationToken.None);
        }
        catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
        {
            logger.LogWarning("Submission {Id}: could not report it as this worker's job ({Error}); the heartbeat will", id, ex.Message);
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromSeconds(Math.Min(settings.MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 16))));

    /// <summary>Runs one claimed job to its end (or until the lease is lost or the worker stops).</summary>
    public async Task RunJobAsync(Submission job, CancellationToken stop)
    {
        var log = new StringBuilder();
        void Log(string line)
        {
            lock (log) log.AppendLine($"{DateTimeOffset.UtcNow:HH:mm:ss} {line}");
        }
        string LogText()
        {
            lock (log) return log.ToString();
        }
        Log($"worker {settings.WorkerId}, attempt {job.Attempts}");
        var assignment = ContentLoader.Load(settings.ContentRoot).FindAssignment(job.AssignmentId);
        if (assignment is null)
        {
            await queue.FinishAsync(job.Id, settings.WorkerId, SubmissionStatus.Failed, null,
                NotCharged($"Assignment '{job.AssignmentId}' no longer exists or does not validate."), countsAgainstQuota: false, LogText(), CancellationToken.None);
            return;
        }

        var progress = new GradingProgress();
        string ProgressJson()
        {
            lock (progress) return JsonSerializer.Serialize(progress, GradingResult.Json);
        }
        var reporter = new InlineProgress<TrainerProgress>(p =>
        {
            lock (progress)
            {
                (progress.Step, progress.TotalSteps, progress.Epoch, progress.EtaSeconds) = (p.Step, p.TotalSteps, p.Epoch, p.Eta.TotalSeconds);
                switch (p.Event)
                {
                    case TrainerEvent.StepEnd:
                        // Every step's loss for the chart, whatever logging_steps says: a 54-step run logged every 50 steps drew two points.
                        (progress.Loss, progress.ExamplesPerSecond) = (p.Loss, p.ExamplesPerSecond);
                        progress.LossCurve.Add([p.Step, Math.Round(p.Loss, 4)]);
                        break;
                    case TrainerEvent.Log:
                        Log($"step {p.Step}/{p.TotalSteps} loss {p.Loss:0.0000}");
                        break;
                    case TrainerEvent.Evaluate when p.EvalMetrics!.TryGetValue(assignment.Rules.Metric!, out var score):
                        progress.EvalCurve.Add([p.Step, score]);
                        Log($"step {p.Step}: {assignment.Rules.Metric} {score:0.0000}");
                        break;
                }
            }
        });

        var checkpoints = new CheckpointSchedule(Path.Combine(settings.CheckpointRoot, $"submission-{job.Id}"), settings.CheckpointEvery, (step, line) =>
        {
            Log(line);
            lock (progress) progress.CheckpointStep = step;
        });
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var timeLimit = new CancellationTokenSource(TimeSpan.FromMinutes(assignment.Rules.Limits.TimeLimitMinutes));
        using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(run.Token, timeLimit.Token);
        var leaseLost = false;
        var heartbeat = Task.Run(() => HeartbeatAsync(job, anyStop.Token, ProgressJson, LogText, Log, async () =>
        {
            leaseLost = true;
            await run.CancelAsync(); // the job is no longer ours, or was cancelled: stop training at once
        }), CancellationToken.None);

        // Training is synchronous and thread-bound (dispose scopes): a thread of its own, not the pool.
        var grading = Task.Factory.StartNew(() => GradingRun.Execute(assignment, job.ConfigYaml, Path.Combine(settings.ContentRoot, "datasets"),
            settings.HiddenSplits, settings.Hub, settings.Device, reporter, new InlineProgress<string>(Log), anyStop.Token, job.KeepWeights ? Submission.KeptModelId(job.Id) : null, checkpoints),
            anyStop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var (status, result, error, counts) = await Outcome(grading, () => leaseLost, stop, timeLimit.Token, assignment.Rules.Limits.TimeLimitMinutes);
        await anyStop.CancelAsync();
        var cancelled = await heartbeat;
        if (cancelled)
        {
            DeleteCheckpoints(checkpoints.Folder);
            return;
        }
        if (status is null)
        {
            if (stop.IsCancellationRequested)
            {
                await queue.ReleaseAsync(job.Id, settings.WorkerId, CancellationToken.None); // stopping: the next worker takes it, from the checkpoint
            }
            return; // otherwise the job is no longer ours (the reaper gave it away), and its checkpoint is the next worker's
        }
        Log($"finished: {status}{(error is null ? "" : $" — {error}")}");
        var recorded = await FinishWithRetriesAsync(job.Id, status.Value, result, error, counts, LogText(), stop);
        if (recorded)
        {
            DeleteCheckpoints(checkpoints.Folder);
        }
        logger.LogInformation("Submission {Id}: {Status}{Recorded}", job.Id, status, recorded ? "" : " (not recorded: lease lost)");
    }

    /// <summary>
    /// Renews the lease every heartbeat, writes progress and reports the job in the workers' registry. A failed
    /// database call is retried with backoff while training goes on: however long the outage, the database decides
    /// when it is back, in one statement: the renewal succeeds if the job is still this worker's (nobody reaped it),
    /// and is refused if the reaper gave it away, which stops the run and drops its result. A refused renewal also
    /// means a cancellation; that is recorded here and now, so Cancel takes effect within one heartbeat whatever the
    /// run is doing.
    /// </summary>
    /// <returns>True when it recorded a cancellation.</returns>
    private async Task<bool> HeartbeatAsync(Submission job, CancellationToken end, Func<string> progressJson, Func<string> logText, Action<string> log, Func<Task> lost)
    {
        var failures = 0;
        while (!end.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(failures == 0 ? settings.Heartbeat : Min(Backoff(failures), settings.Heartbeat), end);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            try
            {
                if (await queue.HeartbeatAsync(job.Id, settings.WorkerId, settings.Lease, progressJson(), logText(), CancellationToken.None))
                {
                    if (failures > 0)
                    {
                        log($"heartbeat back after {failures} failures; the lease is still this worker's");
                        failures = 0;
                    }
                    await registry.BeatAsync(_registration, job.Id, cancellationToken: CancellationToken.None);
                    continue;
                }
                await lost();
                log("the lease was refused: cancelled, or given to another worker");
                var cancelled = await queue.FinishCancelledAsync(job.Id, settings.WorkerId, logText(), CancellationToken.None);
                if (cancelled)
                {
                    logger.LogInformation("Submission {Id}: cancelled", job.Id);
                }
                return cancelled;
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                if (++failures == 1)
                {
                    log($"heartbeat failed ({ex.GetType().Name}: {ex.Message}); retrying, training goes on"); // once per outage: the job's log is the student's to read
                }
                logger.LogWarning("Submission {Id}: heartbeat failed ({Error})", job.Id, ex.Message);
            }
        }
        return false;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Records the outcome, retrying while the database is down: the result of a whole run is not given up for one failed call.</summary>
    private async Task<bool> FinishWithRetriesAsync(long id, SubmissionStatus status, GradingResult? result, string? error, bool counts, string log, CancellationToken stop)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                return await queue.FinishAsync(id, settings.WorkerId, status, result, error, counts, log, CancellationToken.None);
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex) && !stop.IsCancellationRequested)
            {
                logger.LogWarning("Submission {Id}: recording the result failed ({Error}); retrying", id, ex.Message);
                try
                {
                    await Task.Delay(Backoff(failures), stop);
                }
                catch (OperationCanceledException)
                {
                    return false; // stopping: the lease runs out and the job is resumed from its checkpoint elsewhere
                }
            }
        }
    }

    private void DeleteCheckpoints(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException ex)
        {
            logger.LogWarning("Could not delete the checkpoints in {Folder}: {Error}", folder, ex.Message);
        }
    }

    /// <summary>
    /// How a run ended, and whether it is charged, by the exception's type alone: the configuration's failures
    /// (<see cref="ConfigurationFailureException"/>: rules, a diverged loss, torch out of memory; .NET's own
    /// <see cref="OutOfMemoryException"/>; the time limit) are charged, anything else (a missing hidden split, a
    /// lost worker, a bug) is the platform's and is not.
    /// </summary>
    private static async Task<(SubmissionStatus? Status, GradingResult? Result, string? Error, bool CountsAgainstQuota)> Outcome(
        Task<GradingResult> grading, Func<bool> leaseLost, CancellationToken stop, CancellationToken timeLimit, int minutes)
    {
        try
        {
            return (SubmissionStatus.Succeeded, await grading, null, true);
        }
        catch (OperationCanceledException) when (timeLimit.IsCancellationRequested)
        {
            return (SubmissionStatus.TimedOut, null, Charged($"Training exceeded the assignment's time limit of {minutes} minutes."), true);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || leaseLost())
        {
            // Stopping, or the job was cancelled or reaped: a cancellation is recorded, anything else left to the reaper.
            return leaseLost() && !stop.IsCancellationRequested ? (SubmissionStatus.Cancelled, null, "Cancelled.", false) : (null, null, null, false);
        }
        catch (Exception ex)
        {
            var (error, charged) = Failure(ex);
            return (SubmissionStatus.Failed, null, error, charged);
        }
    }

    /// <summary>A failed run's error for the student, and whether it is charged: by the exception's type, never its text.</summary>
    public static (string Error, bool Charged) Failure(Exception ex) => ex is ConfigurationFailureException or OutOfMemoryException
        ? (Charged(ex.Message), true)
        : (NotCharged($"The grading platform failed ({ex.GetType().Name}: {ex.Message})."), false);

    /// <summary>The error a student reads for a failure of their configuration.</summary>
    public static string Charged(string error) => $"{error} Charged: the configuration caused this, so it counts against today's quota.";

    /// <summary>The error a student reads for a failure of the platform.</summary>
    public static string NotCharged(string error) => $"{error} Not charged: the platform failed, so it does not count against your quota.";
}
