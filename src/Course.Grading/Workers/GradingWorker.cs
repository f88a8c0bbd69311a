using System.Text;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.Extensions.Logging;

namespace Course.Grading.Workers;

/// <summary>Where a worker finds what it grades against, and its timing.</summary>
public sealed record WorkerSettings(string ContentRoot, string HiddenRoot, ModelHub Hub, string WorkerId)
{
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);
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

    public static GradingProgress? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<GradingProgress>(json);
}

/// <summary>
/// A grading worker: reap, claim the oldest job, run it on a thread of its own while a heartbeat renews the
/// lease and writes progress, record the outcome. A lost lease (the reaper gave the job away) or a
/// cancellation stops the run; only the lease holder can record a result, so a job ends exactly once.
/// </summary>
public sealed class GradingWorker(SubmissionQueue queue, WorkerSettings settings, ILogger<GradingWorker> logger)
{
    public async Task RunAsync(CancellationToken stop)
    {
        logger.LogInformation("Grading worker {Worker} started", settings.WorkerId);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await queue.ReapAsync(stop);
                if (await queue.ClaimAsync(settings.WorkerId, settings.Lease, stop) is { } job)
                {
                    await RunJobAsync(job, stop);
                }
                else
                {
                    await Task.Delay(settings.Poll, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }
        logger.LogInformation("Grading worker {Worker} stopped", settings.WorkerId);
    }

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
                $"Assignment '{job.AssignmentId}' no longer exists or does not validate.", countsAgainstQuota: false, LogText(), CancellationToken.None);
            return;
        }

        var progress = new GradingProgress();
        string ProgressJson()
        {
            lock (progress) return JsonSerializer.Serialize(progress);
        }
        var reporter = new Reporter<TrainerProgress>(p =>
        {
            lock (progress)
            {
                (progress.Step, progress.TotalSteps, progress.Epoch, progress.EtaSeconds) = (p.Step, p.TotalSteps, p.Epoch, p.Eta.TotalSeconds);
                if (p.EvalMetrics is { } eval && eval.TryGetValue(assignment.Rules.Metric!, out var score))
                {
                    progress.EvalCurve.Add([p.Step, score]);
                    Log($"step {p.Step}: {assignment.Rules.Metric} {score:0.0000}");
                }
                else if (!double.IsNaN(p.Loss))
                {
                    (progress.Loss, progress.ExamplesPerSecond) = (p.Loss, p.ExamplesPerSecond);
                    progress.LossCurve.Add([p.Step, p.Loss]);
                    Log($"step {p.Step}/{p.TotalSteps} loss {p.Loss:0.0000}");
                }
            }
        });

        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var timeLimit = new CancellationTokenSource(TimeSpan.FromMinutes(assignment.Rules.Limits.TimeLimitMinutes));
        using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(run.Token, timeLimit.Token);
        var leaseLost = false;
        var heartbeat = Task.Run(async () =>
        {
            while (!anyStop.IsCancellationRequested)
            {
                await Task.Delay(settings.Heartbeat, CancellationToken.None);
                if (!await queue.HeartbeatAsync(job.Id, settings.WorkerId, settings.Lease, ProgressJson(), LogText(), CancellationToken.None))
                {
                    leaseLost = true;
                    await run.CancelAsync();
                }
            }
        }, CancellationToken.None);

        // Training is synchronous and thread-bound (dispose scopes): a thread of its own, not the pool.
        var grading = Task.Factory.StartNew(() => GradingRun.Execute(assignment, job.ConfigYaml, Path.Combine(settings.ContentRoot, "datasets"),
            settings.HiddenRoot, settings.Hub, reporter, new Reporter<string>(Log), anyStop.Token, job.KeepWeights ? Submission.KeptModelId(job.Id) : null),
            anyStop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var (status, result, error, counts) = await Outcome(grading, () => leaseLost, stop, timeLimit.Token, assignment.Rules.Limits.TimeLimitMinutes);
        await anyStop.CancelAsync();
        await heartbeat;
        if (status is null)
        {
            if (stop.IsCancellationRequested)
            {
                await queue.ReleaseAsync(job.Id, settings.WorkerId, CancellationToken.None); // stopping: the next worker takes it
            }
            return; // otherwise the job is no longer ours (the reaper gave it away)
        }
        Log($"finished: {status}{(error is null ? "" : $" — {error}")}");
        var recorded = await queue.FinishAsync(job.Id, settings.WorkerId, status.Value, result, error, counts, LogText(), CancellationToken.None);
        logger.LogInformation("Submission {Id}: {Status}{Recorded}", job.Id, status, recorded ? "" : " (not recorded: lease lost)");
    }

    private static async Task<(SubmissionStatus? Status, GradingResult? Result, string? Error, bool CountsAgainstQuota)> Outcome(
        Task<GradingResult> grading, Func<bool> leaseLost, CancellationToken stop, CancellationToken timeLimit, int minutes)
    {
        try
        {
            return (SubmissionStatus.Succeeded, await grading, null, true);
        }
        catch (OperationCanceledException) when (timeLimit.IsCancellationRequested)
        {
            return (SubmissionStatus.TimedOut, null, $"Training exceeded the assignment's time limit of {minutes} minutes.", true);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || leaseLost())
        {
            // Stopping, or the job was cancelled or reaped: a cancellation is recorded, anything else left to the reaper.
            return leaseLost() && !stop.IsCancellationRequested ? (SubmissionStatus.Cancelled, null, "Cancelled.", false) : (null, null, null, false);
        }
        catch (Exception ex) when (ex is InvalidDataException or TrainingConfigException or ArgumentException)
        {
            return (SubmissionStatus.Failed, null, ex.Message, true); // the configuration's fault
        }
        catch (Exception ex)
        {
            return (SubmissionStatus.Failed, null, $"The grading platform failed ({ex.GetType().Name}: {ex.Message}); this does not count against your quota.", false);
        }
    }

    /// <summary>Reports on the calling (training) thread: a worker has no synchronisation context to post to.</summary>
    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
