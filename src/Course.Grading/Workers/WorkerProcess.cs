using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Course.Grading.Workers;

/// <summary>
/// A grading worker as a process of its own (<c>./course worker</c>, or started by the site per
/// <c>Grading:Workers</c>): torch threads, random state and memory stay apart from the site and from other
/// workers. Any machine sharing the database can run one. Stops on SIGTERM / Ctrl+C, handing its job back.
/// </summary>
public static class WorkerProcess
{
    public static async Task<int> RunAsync(CourseEnvironment environment, IConfiguration configuration, CancellationToken stop)
    {
        await using var services = new ServiceCollection()
            .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
            .AddCourseDatabase(configuration, environment)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<SubmissionQueue>()
            .BuildServiceProvider();
        var databases = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await databases.MigrateAsync(stop);
        var grading = configuration.GetSection(GradingOptions.Section).Get<GradingOptions>() ?? new GradingOptions();
        var settings = new WorkerSettings(
            environment.Resolve(configuration[$"{ContentOptions.Section}:Path"] ?? "content"),
            HiddenSplits.Create(environment, configuration[$"{DataOptions.Section}:Path"] ?? new DataOptions().Path, grading.HiddenDataPath),
            new ModelHub(environment.Resolve(configuration[$"{MlOptions.Section}:HubPath"] ?? new MlOptions().HubPath)),
            $"{Environment.MachineName}:{Environment.ProcessId}")
        {
            Lease = TimeSpan.FromSeconds(grading.LeaseSeconds),
            Heartbeat = TimeSpan.FromSeconds(grading.HeartbeatSeconds),
            CheckpointRoot = environment.Resolve(grading.CheckpointPath
                ?? Path.Combine(configuration[$"{DataOptions.Section}:Path"] ?? new DataOptions().Path, "checkpoints")),
            CheckpointEvery = TimeSpan.FromSeconds(grading.CheckpointSeconds),
        };
        var worker = new GradingWorker(services.GetRequiredService<SubmissionQueue>(), settings, services.GetRequiredService<ILogger<GradingWorker>>());
        await worker.RunAsync(stop);
        return 0;
    }
}
