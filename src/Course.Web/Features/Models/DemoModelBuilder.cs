using Course.Grading.Workers;
using Course.Ml.Hub;
using Course.Web.Features.Hosting;
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
/// Builds the demo models that are missing from the hub (course/minilm-*) once, in a child process
/// (<see cref="DemoBuildProcess"/>), so the site starts at once and never trains in its own process; the child's
/// progress lines go to <see cref="DemoBuildStatus"/>. Off with <c>Ml:BuildDemoModels: false</c>.
/// </summary>
public sealed class DemoModelBuilder(ModelHub hub, ChildProcesses children, DemoBuildStatus status, IOptions<Course.Ml.MlOptions> options,
    ILogger<DemoModelBuilder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var missing = DemoModels.Missing(hub);
        if (!options.Value.BuildDemoModels || missing.Count == 0)
        {
            return;
        }
        status.Start(missing.Select(m => m.Id).ToList());
        logger.LogInformation("Building demo models: {Models}", string.Join(", ", missing.Select(m => m.Id)));
        string? lastError = null;
        using var process = children.Start(ChildProcesses.DemoBuildMode,
            line =>
            {
                if (DemoBuildProcess.Parse(line) is { } progress)
                {
                    status.Report(progress);
                }
            },
            line =>
            {
                lastError = line;
                logger.LogInformation("[demo build] {Line}", line);
            });
        try
        {
            await process.WaitForExitAsync(stoppingToken);
            // Output events may still be queued after exit; the parameterless wait drains them.
            await Task.Run(process.WaitForExit, CancellationToken.None);
            status.Finish(process.ExitCode == 0 ? null : lastError ?? $"the build exited with code {process.ExitCode}");
            logger.Log(process.ExitCode == 0 ? LogLevel.Information : LogLevel.Error, "Demo model build ended with code {Code}", process.ExitCode);
        }
        catch (OperationCanceledException)
        {
            await ChildProcesses.StopAsync(process);
            status.Finish("stopped with the site; the build resumes at the next start");
        }
    }
}
