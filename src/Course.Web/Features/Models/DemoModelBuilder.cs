using Course.Core.Configuration;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Models;

/// <summary>What the site shows while demo models are built: which one, how far, and how it ended.</summary>
public sealed class DemoBuildStatus
{
    private readonly Lock _gate = new();

    public DemoBuildProgress? Current { get; private set; }
    public IReadOnlyList<string> Missing { get; private set; } = [];
    public string? Error { get; private set; }

    public event Action? Changed;

    /// <summary>A demo model still being built (or waiting to be): widgets say so instead of failing.</summary>
    public bool IsPending(string modelId) => Missing.Contains(modelId);

    internal void Start(IReadOnlyList<string> missing) => Update(() => (Missing, Error) = (missing, null));

    internal void Report(DemoBuildProgress progress) => Update(() =>
    {
        Current = progress;
        if (progress.Message == "done")
        {
            Missing = Missing.Where(id => id != progress.Id).ToList();
        }
    });

    internal void Finish(string? error) => Update(() => Error = error);

    private void Update(Action change)
    {
        lock (_gate)
        {
            change();
        }
        Changed?.Invoke();
    }
}

/// <summary>
/// Builds the demo models that are missing from the hub (course/minilm-*) once, in the background, so the site
/// starts at once; progress goes to <see cref="DemoBuildStatus"/>. Off with <c>Ml:BuildDemoModels: false</c>.
/// </summary>
public sealed class DemoModelBuilder(ModelHub hub, CourseEnvironment environment, IOptions<ContentOptions> content, DemoBuildStatus status,
    IOptions<Course.Ml.MlOptions> options, ILogger<DemoModelBuilder> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var missing = DemoModels.Missing(hub);
        if (!options.Value.BuildDemoModels || missing.Count == 0)
        {
            return Task.CompletedTask;
        }
        status.Start(missing.Select(m => m.Id).ToList());
        // Training is synchronous and thread-bound (dispose scopes), so it gets a thread of its own.
        return Task.Factory.StartNew(() =>
        {
            try
            {
                logger.LogInformation("Building demo models: {Models}", string.Join(", ", missing.Select(m => m.Id)));
                DemoModels.BuildMissing(hub, environment.Resolve(Path.Combine(content.Value.Path, "datasets")), new SynchronousProgress(status.Report), stoppingToken);
                status.Finish(null);
                logger.LogInformation("Demo models built");
            }
            catch (OperationCanceledException)
            {
                status.Finish("stopped with the site; the build resumes at the next start");
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or KeyNotFoundException)
            {
                logger.LogError(ex, "Building demo models failed");
                status.Finish(ex.Message);
            }
        }, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Reports on the training thread (no synchronisation context to post to in a hosted service).</summary>
    private sealed class SynchronousProgress(Action<DemoBuildProgress> report) : IProgress<DemoBuildProgress>
    {
        public void Report(DemoBuildProgress value) => report(value);
    }
}
