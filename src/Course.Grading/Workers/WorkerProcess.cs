using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Ml.Hub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

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
            .AddCourseServices(configuration, environment)
            .BuildServiceProvider();
        var device = services.GetRequiredService<torch.Device>(); // a bad Ml:Device stops the worker here, before it claims a job
        var grading = services.GetRequiredService<IOptions<GradingOptions>>().Value;
        var queues = grading.QueueNames(); // a bad Grading:Queues too
        var settings = new WorkerSettings(
            environment.Resolve(services.GetRequiredService<IOptions<ContentOptions>>().Value.Path),
            services.GetRequiredService<HiddenSplits>(),
            services.GetRequiredService<ModelHub>(),
            device,
            $"{Environment.MachineName}:{Environment.ProcessId}")
        {
            Lease = TimeSpan.FromSeconds(grading.LeaseSeconds),
            Heartbeat = TimeSpan.FromSeconds(grading.HeartbeatSeconds),
            CheckpointRoot = environment.Resolve(grading.CheckpointPath
                ?? Path.Combine(services.GetRequiredService<IOptions<DataOptions>>().Value.Path, "checkpoints")),
            CheckpointEvery = TimeSpan.FromSeconds(grading.CheckpointSeconds),
            Queues = queues,
        };
        var worker = new GradingWorker(services.GetRequiredService<SubmissionQueue>(), services.GetRequiredService<WorkerRegistry>(), settings, services.GetRequiredService<ILogger<GradingWorker>>(),
            services.GetRequiredService<DemoBuildQueue>());
        await worker.RunAsync(stop);
        return 0;
    }
}
