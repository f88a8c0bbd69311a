using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Models;

/// <summary>What the site shows of the demo-model builds: the <c>DemoBuilds</c> rows as this node last read them.</summary>
public sealed class DemoBuildStatus
{
    private IReadOnlyDictionary<string, DemoBuild> _builds = new Dictionary<string, DemoBuild>();

    public event Action? Changed;

    /// <summary>A demo model queued or being built (by any worker): widgets say so instead of failing.</summary>
    public bool IsPending(string modelId) => _builds.GetValueOrDefault(modelId) is { State: DemoBuildState.Queued or DemoBuildState.Running };

    /// <summary>The progress the worker building <paramref name="modelId"/> last wrote; null while it waits to start.</summary>
    public DemoBuildProgress? ProgressOf(string modelId) =>
        _builds.GetValueOrDefault(modelId) is { State: DemoBuildState.Running } build ? DemoBuildProgress.FromJson(build.ProgressJson) : null;

    /// <summary>Replaces the rows; tells the pages only when a state or a progress changed.</summary>
    public void Update(IReadOnlyList<DemoBuild> rows)
    {
        var builds = rows.ToDictionary(b => b.ModelId);
        var changed = builds.Count != _builds.Count
            || builds.Values.Any(b => _builds.GetValueOrDefault(b.ModelId) is not { } was || was.State != b.State || was.ProgressJson != b.ProgressJson);
        _builds = builds;
        if (changed)
        {
            Changed?.Invoke();
        }
    }
}

/// <summary>
/// With <c>Ml:BuildDemoModels</c>, queues at start the builds of the demo models missing from the hub
/// (course/minilm-*), in the demo list's order, for a worker on the <c>demos</c> queue; on every node, follows the
/// builds' rows into <see cref="DemoBuildStatus"/> every <c>Grading:ProgressPollMilliseconds</c> (the site starts
/// such a worker itself, <see cref="Assignments.GradingWorkerSupervisor"/>; on a cluster any node's worker may).
/// </summary>
public sealed class DemoModelBuilder(ModelHub hub, DemoBuildQueue builds, DemoBuildStatus status, IOptions<Course.Ml.MlOptions> options,
    IOptions<GradingOptions> grading, ILogger<DemoModelBuilder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.BuildDemoModels && DemoModels.Missing(hub) is { Count: > 0 } missing)
        {
            try
            {
                var queued = await builds.EnqueueAsync(missing.Select(m => (m.Id, DemoModels.All.ToList().IndexOf(m))), stoppingToken);
                logger.LogInformation("Demo models missing: {Models} ({Queued} builds queued)", string.Join(", ", missing.Select(m => m.Id)), queued);
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                // The site serves without them; the playgrounds say the models are missing until a start queues them.
                logger.LogError("Could not queue the demo-model builds ({Error}); the next start will", ex.Message);
            }
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(grading.Value.ProgressPollMilliseconds));
        do
        {
            try
            {
                status.Update(await builds.ListAsync(stoppingToken));
            }
            catch (Exception ex) when (TransientDatabaseFailure.Is(ex))
            {
                logger.LogWarning("Could not read the demo builds ({Error}); the playgrounds show the last rows read", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
