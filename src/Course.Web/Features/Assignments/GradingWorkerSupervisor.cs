using System.Diagnostics;
using Course.Grading;
using Course.Web.Features.Hosting;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

/// <summary>
/// Starts <c>Grading:Workers</c> grading worker processes beside the site (<see cref="ChildProcesses"/>), forwards
/// their output to the log, restarts one that exits, and stops them with the site.
/// </summary>
public sealed class GradingWorkerSupervisor(ChildProcesses children, IOptions<GradingOptions> grading, ILogger<GradingWorkerSupervisor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(Enumerable.Range(1, grading.Value.Workers).Select(n => SuperviseAsync(n, stoppingToken)));
    }

    private async Task SuperviseAsync(int number, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var process = Start(number);
            try
            {
                await process.WaitForExitAsync(stoppingToken);
                logger.LogWarning("Grading worker {Number} exited with code {Code}; restarting in 5 s", number, process.ExitCode);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                await ChildProcesses.StopAsync(process);
            }
        }
    }

    private Process Start(int number)
    {
        void Log(string line) => logger.LogInformation("[worker {Number}] {Line}", number, line);
        var process = children.Start(ChildProcesses.WorkerMode, Log, Log);
        logger.LogInformation("Grading worker {Number} started (pid {Pid})", number, process.Id);
        return process;
    }
}
