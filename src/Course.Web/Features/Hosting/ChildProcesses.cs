using System.Diagnostics;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading;
using Course.Ml;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Hosting;

/// <summary>
/// This same program started in another mode (a grading worker) for work that must not
/// share the site's process: training's threads, memory and native state. A child gets the settings the site
/// resolved, overrides given to the site only included, so both read the same database, content and hub; the
/// connection string travels in the child's environment.
/// </summary>
public sealed class ChildProcesses(IConfiguration configuration, CourseEnvironment course, IOptions<GradingOptions> grading,
    IOptions<ContentOptions> content, IOptions<MlOptions> ml, IOptions<DataOptions> data, IOptions<DatabaseOptions> database, IOptions<StorageOptions> storage)
{
    /// <param name="settings">More <c>--Key=Value</c> settings for this child (a worker's queues), over the site's.</param>
    public Process Start(string mode, Action<string> output, Action<string> error, params IEnumerable<string> settings)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = course.Root,
        };
        // The connection string may hold a password: the child's environment, which only its user and root can read
        // (/proc/PID/environ), never its command line, which every user sees in ps.
        start.Environment[$"ConnectionStrings__{DatabaseExtensions.ConnectionStringName}"] =
            DatabaseExtensions.ResolveConnectionString(configuration, course, database.Value.Provider);
        start.Environment.Remove($"ConnectionStrings__{DatabaseExtensions.ConnectionStringFileName}");
        string[] arguments =
        [
            typeof(ChildProcesses).Assembly.Location, mode,
            $"--{DatabaseOptions.Section}:Provider={database.Value.Provider}",
            $"--{ContentOptions.Section}:Path={course.Resolve(content.Value.Path)}",
            $"--{MlOptions.Section}:HubPath={course.Resolve(ml.Value.HubPath)}",
            $"--{TorchDevices.Setting}={ml.Value.Device}",
            $"--{MlOptions.Section}:{nameof(MlOptions.MklKernelsByCpuFeatures)}={ml.Value.MklKernelsByCpuFeatures}",
            $"--{GradingOptions.Section}:HiddenDataPath={course.Resolve(grading.Value.HiddenDataPath)}",
            $"--{DataOptions.Section}:Path={course.Resolve(data.Value.Path)}",
            // The shared folder too: hidden uploads and checkpoints are found in it as the site finds them.
            .. storage.Value.SharedPath is { Length: > 0 } shared ? [$"--{StorageOptions.Section}:{nameof(StorageOptions.SharedPath)}={course.Resolve(shared)}"] : Array.Empty<string>(),
            .. settings,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start this program with {mode}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) error(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGTERM lets the child finish cleanly (a worker hands its job back); one that does not stop in time is killed.</summary>
    public static async Task StopAsync(Process process)
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

    /// <summary>
    /// The child modes of this program (<c>Course.Web.dll MODE [--Key=Value …]</c>): their configuration from the
    /// same sources as the site's, and SIGTERM as the stop signal.
    /// </summary>
    public static async Task<int> RunAsync(CourseEnvironment course, string mode, string[] args)
    {
        var configuration = new ConfigurationBuilder().AddCourseConfiguration(course, Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production", args).Build();
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        return mode switch
        {
            WorkerMode => await Course.Grading.Workers.WorkerProcess.RunAsync(course, configuration, stop.Token),
            _ => throw new ArgumentException($"unknown mode {mode}"),
        };
    }

    public const string WorkerMode = "--grading-worker";
}
