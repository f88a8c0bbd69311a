using System.Diagnostics;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Workers;
using Course.Ml;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

/// <summary>
/// Starts <c>Grading:Workers</c> grading worker processes beside the site (this same program with
/// <c>--grading-worker</c>), hands them the site's resolved settings, forwards their output to the log,
/// restarts one that exits, and stops them with the site (SIGTERM, then a kill after a grace period).
/// </summary>
public sealed class GradingWorkerSupervisor(IConfiguration configuration, CourseEnvironment course, IOptions<GradingOptions> grading,
    IOptions<ContentOptions> content, IOptions<MlOptions> ml, IOptions<DataOptions> data, ILogger<GradingWorkerSupervisor> logger) : BackgroundService
{
    public const string WorkerFlag = "--grading-worker";

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
                await StopAsync(process);
            }
        }
    }

    private Process Start(int number)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = course.Root,
        };
        // The worker reads the same settings the site resolved, including overrides given to the site only.
        foreach (var argument in new[]
        {
            typeof(GradingWorkerSupervisor).Assembly.Location, WorkerFlag,
            $"--ConnectionStrings:Course={DatabaseExtensions.ResolveConnectionString(configuration, course)}",
            $"--{ContentOptions.Section}:Path={course.Resolve(content.Value.Path)}",
            $"--{MlOptions.Section}:HubPath={course.Resolve(ml.Value.HubPath)}",
            $"--{GradingOptions.Section}:HiddenDataPath={course.Resolve(grading.Value.HiddenDataPath)}",
            $"--{DataOptions.Section}:Path={course.Resolve(data.Value.Path)}",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start a grading worker process.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) logger.LogInformation("[worker {Number}] {Line}", number, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) logger.LogInformation("[worker {Number}] {Line}", number, e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        logger.LogInformation("Grading worker {Number} started (pid {Pid})", number, process.Id);
        return process;
    }

    /// <summary>SIGTERM lets the worker hand its job back; a worker that does not stop in time is killed (the reaper recovers its job).</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The worker mode of this program: <c>Course.Web.dll --grading-worker [--Key=Value …]</c>.</summary>
    public static async Task<int> RunWorkerAsync(CourseEnvironment course, string[] args)
    {
        var configuration = new ConfigurationBuilder().AddCourseConfiguration(course, Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production", args).Build();
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        return await WorkerProcess.RunAsync(course, configuration, stop.Token);
    }
}
