using System.Text.Json;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml.Training;
using Microsoft.Extensions.Logging;

namespace Course.Grading.Workers;

/// <summary>What a demo build's worker writes to its row each heartbeat: the Trainer's step and the latest log line.</summary>
public sealed class DemoBuildProgress
{
    public int Step { get; set; }
    public int TotalSteps { get; set; }
    public double Epoch { get; set; }
    public double EtaSeconds { get; set; }
    public string? Message { get; set; }

    public static DemoBuildProgress? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<DemoBuildProgress>(json);
}

/// <summary>The demo-model builds a worker on the <see cref="DemoBuild.Queue"/> queue takes when no submission is waiting.</summary>
public sealed partial class GradingWorker
{
    private async Task<DemoBuild?> ClaimDemoBuildAsync(CancellationToken stop)
    {
        await _demos!.ReapAsync(stop);
        return await _demos.ClaimAsync(settings.WorkerId, settings.Lease, stop);
    }

    /// <summary>
    /// Builds the claimed model (<see cref="DemoModels.BuildIfMissing"/>, on a thread of its own: training's dispose scopes
    /// are thread-bound) while a heartbeat renews the lease and writes progress; a refused renewal (the reaper gave the
    /// build away) stops it, and stopping the worker hands it back.
    /// </summary>
    public async Task RunDemoBuildAsync(DemoBuild build, CancellationToken stop)
    {
        var demo = settings.Demos.FirstOrDefault(d => d.Id == build.ModelId);
        if (demo is null)
        {
            await _demos!.FinishAsync(build.ModelId, settings.WorkerId, $"{build.ModelId} is not a demo model of this version of the course.", CancellationToken.None);
            return;
        }
        logger.LogInformation("Demo build {Model}: started (attempt {Attempt})", demo.Id, build.Attempts);
        var progress = new DemoBuildProgress { Message = "starting" };
        string ProgressJson()
        {
            lock (progress) return JsonSerializer.Serialize(progress);
        }
        var trainer = new InlineProgress<TrainerProgress>(p =>
        {
            lock (progress) (progress.Step, progress.TotalSteps, progress.Epoch, progress.EtaSeconds) = (p.Step, p.TotalSteps, p.Epoch, p.Eta.TotalSeconds);
        });
        var log = new InlineProgress<string>(line =>
        {
            lock (progress) progress.Message = line;
            logger.LogInformation("Demo build {Model}: {Line}", demo.Id, line);
        });
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var heartbeat = Task.Run(() => DemoHeartbeatAsync(demo.Id, ProgressJson, run), CancellationToken.None);
        string? error = null;
        try
        {
            await Task.Factory.StartNew(() => DemoModels.BuildIfMissing(demo, settings.Hub, settings.Device, Path.Combine(settings.ContentRoot, "datasets"), trainer, log, run.Token),
                run.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            await run.CancelAsync();
            await heartbeat;
            if (stop.IsCancellationRequested)
            {
                await _demos!.ReleaseAsync(demo.Id, settings.WorkerId, CancellationToken.None); // stopping: the next worker builds it
            }
            logger.LogInformation("Demo build {Model}: {How}", demo.Id, stop.IsCancellationRequested ? "handed back" : "given to another worker");
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Logged with its stack for the operator; the row carries the short form the site shows.
            logger.LogError(ex, "Demo build {Model} failed", demo.Id);
            error = $"{ex.GetType().Name}: {ex.Message}";
        }
        await run.CancelAsync();
        await heartbeat;
        var recorded = await _demos!.FinishAsync(demo.Id, settings.WorkerId, error, CancellationToken.None);
        logger.LogInformation("Demo build {Model}: {Outcome}{Recorded}", demo.Id, error ?? "built", recorded ? "" : " (not recorded: lease lost)");
    }

    /// <summary>Renews the build's lease every heartbeat; a refusal cancels the build. A database outage is waited out, the build going on.</summary>
    private async Task DemoHeartbeatAsync(string modelId, Func<string> progressJson, CancellationTokenSource run)
    {
        while (!run.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.Heartbeat, run.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!await _demos!.HeartbeatAsync(modelId, settings.WorkerId, settings.Lease, progressJson(), CancellationToken.None))
                {
                    await run.CancelAsync();
                    return;
                }
                await registry.BeatAsync(_registration, current: null, modelId, CancellationToken.None);
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                logger.LogWarning("Demo build {Model}: heartbeat failed ({Error})", modelId, ex.Message);
            }
        }
    }
}
