using System.Diagnostics;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading;
using Course.Ml;
using Course.Tests.Shared;
using Course.Web.Features.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Course.Web.Tests;

/// <summary>The site's own grading workers get the database's connection string in their environment, never on their command line, and the site's folders and their own queues on it.</summary>
public sealed class ChildProcessesTests : IDisposable
{
    private const string Secret = "s3cret-never-in-ps";
    private readonly string _data = Directory.CreateTempSubdirectory("course-child-").FullName;

    [Fact]
    public async Task A_worker_child_reads_the_connection_string_from_its_environment_and_its_command_line_does_not_hold_it()
    {
        // A PostgreSQL server that is not there (port 1): the worker keeps trying, so it lives while the test looks at it.
        var connectionString = $"Host=127.0.0.1;Port=1;Database=course;Username=course;Password={Secret}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Course"] = connectionString,
        }).Build();
        var children = new ChildProcesses(configuration, new CourseEnvironment(Repository.Root), Options.Create(new GradingOptions()),
            Options.Create(new ContentOptions()), Options.Create(new MlOptions { Device = "cpu", MklKernelsByCpuFeatures = false }), Options.Create(new DataOptions { Path = _data }),
            Options.Create(new DatabaseOptions { Provider = DatabaseProvider.PostgreSQL }), Options.Create(new StorageOptions { SharedPath = _data }));
        var retrying = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Watch(string line)
        {
            if (line.Contains("the database failed", StringComparison.Ordinal))
            {
                retrying.TrySetResult(line);
            }
        }

        using var child = children.Start(ChildProcesses.WorkerMode, Watch, Watch, $"--Grading:Queues={DemoBuild.Queue}");
        try
        {
            var commandLine = await File.ReadAllTextAsync($"/proc/{child.Id}/cmdline");
            var environment = (await File.ReadAllTextAsync($"/proc/{child.Id}/environ")).Split('\0');

            Assert.Contains(ChildProcesses.WorkerMode, commandLine.Split('\0'));
            Assert.DoesNotContain(Secret, commandLine);
            Assert.Contains("--Database:Provider=PostgreSQL", commandLine.Split('\0'));
            Assert.Contains("--Ml:MklKernelsByCpuFeatures=False", commandLine.Split('\0')); // a worker's GEMMs as the site's
            // The shared folder travels with the other paths, and this child's own queue after the site's settings.
            Assert.Equal(new[] { $"--Storage:SharedPath={_data}", "--Grading:Queues=demos" }, commandLine.Split('\0').Where(a => a.Length > 0).TakeLast(2));
            Assert.Contains($"ConnectionStrings__Course={connectionString}", environment);
            // The worker opened the database that variable names: it reports that server (port 1) failing and waits.
            var exited = child.WaitForExitAsync();
            Assert.Same(retrying.Task, await Task.WhenAny(retrying.Task, exited));
            Assert.Contains("127.0.0.1:1", await retrying.Task);
        }
        finally
        {
            await ChildProcesses.StopAsync(child);
        }
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
