using System.Diagnostics;
using Course.Core.Data;
using Course.Grading;
using Course.Ml;
using Course.Web.Features.Hosting;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

/// <summary>
/// Starts the worker processes the site is told to start beside itself (<see cref="ChildProcesses"/>):
/// <c>Grading:Workers</c> grading workers on <c>Grading:Queues</c>, and with <c>Ml:BuildDemoModels</c> one more on
/// the <c>demos</c> queue alone, so grading never waits behind half an hour of demo builds. Forwards their output
/// to the log, restarts one that exits, and stops them with the site.
/// </summary>
public sealed class GradingWorkerSupervisor(ChildProcesses children, IOptions<GradingOptions> grading, IOptions<MlOptions> ml,
    ILogger<GradingWorkerSupervisor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(1, grading.Value.Workers).Select(n => ($"worker {n}", Array.Empty<string>())).ToList();
        if (ml.Value.BuildDemoModels)
        {
            workers.Add(("demo-build worker", [$"--{GradingOptions.Section}:{nameof(GradingOptions.Queues)}={DemoBuild.Queue}"]));
        }
        await Task.WhenAll(workers.Select(w => SuperviseAsync(w.Item1, w.Item2, stoppingToken)));
    }

    private async Task SuperviseAsync(string name, string[] settings, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var process = Start(name, settings);
            try
            {
                await process.WaitForExitAsync(stoppingToken);
                logger.LogWarning("Grading {Name} exited with code {Code}; restarting in 5 s", name, process.ExitCode);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                await ChildProcesses.StopAsync(process);
            }
        }
    }

    private Process Start(string name, string[] settings)
    {
        void Log(string line) => logger.LogInformation("[{Name}] {Line}", name, line);
        var process = children.Start(ChildProcesses.WorkerMode, Log, Log, settings);
        logger.LogInformation("Grading {Name} started (pid {Pid})", name, process.Id);
        return process;
    }
}
