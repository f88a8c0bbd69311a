using System.Diagnostics;
using System.Reflection;
using System.Text;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

/// <summary>
/// The deployment of docs/deploy.md on one machine: one PostgreSQL, <c>course migrate</c> run once, two site nodes
/// (real <c>Course.Web</c> processes without local workers or demo builds) behind nginx with sticky sessions, and
/// three <c>course worker</c> processes, on the tiny grading assignment. Every process gets each setting it reads
/// in its environment (none from defaults that may change), and each is stopped by its PID, whatever the tests did.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int WorkerCount = 3;

    private readonly PostgresServer _postgres = new();
    private readonly List<RunningProcess> _processes = [];
    private IPlaywright? _playwright;

    public TinyGradingSetup Setup { get; } = new();

    public TestDatabase Database { get; private set; } = default!;

    public IDbContextFactory<CourseDbContext> Databases { get; private set; } = default!;

    /// <summary>The site nodes, keyed by the address nginx names them by (<c>$upstream_addr</c>).</summary>
    public Dictionary<string, RunningProcess> Nodes { get; } = [];

    public List<RunningProcess> Workers { get; } = [];

    public NginxServer Nginx { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>
    /// A dead worker's job returns to the queue once its lease runs out. 15 s (against a heartbeat every second) is
    /// short for a test, yet a live worker would have to be starved for 15 s to lose its job to a second claim,
    /// which the exactly-once checks would rightly count.
    /// </summary>
    public const int LeaseSeconds = 15;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        Database = await TestDatabase.CreateAsync(_postgres);
        Databases = Database.Factory();

        // The one migration step of a deployment; the nodes and workers refuse a database it has not brought up to date.
        using (var migrate = Process.Start(Setup.CourseProcess("migrate", Database.ConnectionString, Shared()))!)
        {
            var output = migrate.StandardOutput.ReadToEndAsync();
            var errors = migrate.StandardError.ReadToEndAsync();
            await migrate.WaitForExitAsync();
            if (migrate.ExitCode != 0)
            {
                throw new InvalidOperationException($"course migrate exited with {migrate.ExitCode}: {await output}{await errors}");
            }
        }

        for (var i = 0; i < WorkerCount; i++)
        {
            Workers.Add(Track(new RunningProcess($"worker {i + 1}", Setup.CourseProcess("worker", Database.ConnectionString, Shared(new()
            {
                ["Ml__Device"] = "cpu",
                ["Grading__Queues"] = Submission.DefaultQueue,
                ["Grading__LeaseSeconds"] = LeaseSeconds.ToString(),
                ["Grading__HeartbeatSeconds"] = "1",
                ["Grading__CheckpointSeconds"] = "1",
                ["Grading__CheckpointPath"] = Path.Combine(Setup.Data, "checkpoints"), // shared by the workers, as on a shared disk
                ["OMP_NUM_THREADS"] = "1", // three workers on a machine of two cores
            })))));
        }
        // One node after the other, so that a node which fails to start names itself; the data-protection key ring's first
        // key is migrate's (docs/deploy.md), so the order does not decide which cookies a node can read.
        foreach (var name in new[] { "node A", "node B" })
        {
            var port = LoopbackPorts.Free();
            var node = Track(new RunningProcess(name, SiteNode(port)));
            Nodes[$"127.0.0.1:{port}"] = node;
            await node.WaitUntilAnsweringAsync($"http://127.0.0.1:{port}/");
        }
        Nginx = await NginxServer.StartAsync(Nodes.Keys.ToList());
        _playwright = await Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(60_000);
        Browser = await SiteFixture.LaunchChromiumAsync(_playwright);
    }

    /// <summary><paramref name="settings"/> and what every process of the deployment reads alike (the folders are DotnetProcess's).</summary>
    private static Dictionary<string, string> Shared(Dictionary<string, string>? settings = null) => new(settings ?? [])
    {
        ["Database__Provider"] = nameof(DatabaseProvider.PostgreSQL),
        ["Logging__LogLevel__Default"] = "Warning",
    };

    /// <summary>A site node as docs/deploy.md runs one: no local workers, no demo builds, loopback's proxy trusted.</summary>
    private ProcessStartInfo SiteNode(int port)
    {
        var root = CourseEnvironment.Discover().Root;
        // The site's own build output (static web assets resolve through its manifest there), of this build's configuration.
        var configuration = typeof(ClusterFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var start = Setup.DotnetProcess(Path.Combine(root, "src", "Course.Web", "bin", configuration, "net10.0", "Course.Web.dll"), ["--urls", $"http://127.0.0.1:{port}"],
            Database.ConnectionString, Shared(new()
            {
                ["Database__MigrateAtStart"] = "false",
                ["Content__Watch"] = "false",
                ["Ml__BuildDemoModels"] = "false",
                ["Ml__Device"] = "cpu",
                // Nothing here searches: no node loads the embedding model to index the content.
                ["Search__Model"] = "",
                ["Grading__Workers"] = "0",
                ["ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
            }));
        start.WorkingDirectory = root;
        return start;
    }

    private RunningProcess Track(RunningProcess process)
    {
        lock (_processes) _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Nginx is not null)
        {
            await Nginx.DisposeAsync();
        }
        foreach (var process in _processes)
        {
            await process.KillAsync();
        }
        await _postgres.DisposeAsync();
        Setup.Dispose();
    }
}

/// <summary>A process of the deployment, its output kept for the message of a test that fails because of it; killed by its PID.</summary>
public sealed class RunningProcess
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public RunningProcess(string name, ProcessStartInfo start)
    {
        Name = name;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public Process Process => _process;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits while the site starts (however slowly); fails at once, with what it printed, if it exits.</summary>
    public async Task WaitUntilAnsweringAsync(string url)
    {
        using var http = new HttpClient();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Output}");
            }
            try
            {
                if ((await http.GetAsync(url)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
    }

    /// <summary>SIGKILL: no chance to hand anything back, as a crash or a pulled plug.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

[Collection(ClusterCollection.Name)]
public sealed class ClusterJourneyTests(ClusterFixture cluster)
{
    private const string Password = "Two-nodes-one-database-2026";

    /// <summary>The node that answered a response through nginx: the last of <c>$upstream_addr</c> (after a failover, the dead one comes first).</summary>
    private static string? AnsweredBy(IResponse response) =>
        response.Headers.TryGetValue(NginxServer.UpstreamHeader.ToLowerInvariant(), out var upstreams) ? upstreams.Split(", ")[^1] : null;

    [Fact]
    public async Task A_student_signed_in_through_one_node_carries_on_through_the_other_when_it_is_killed_without_signing_in_again()
    {
        var email = $"nadia-{Guid.NewGuid():N}@example.com";
        await using var student = await BrowserSession.OpenAsync(cluster.Browser, cluster.Nginx.BaseUrl);
        var answers = new List<(string Url, string Node)>();
        student.Page.Response += (_, response) =>
        {
            if (AnsweredBy(response) is { } node)
            {
                lock (answers) answers.Add((response.Url, node));
            }
        };
        await student.RegisterAsync(email, Password);
        await student.GoToAsync("/search"); // an interactive page: a circuit is open
        await Expect(student.Page.Locator(".account-name")).ToHaveTextAsync(email);

        // Sticky: the pages, the sign-in and the circuit's negotiation all reached one node.
        List<(string Url, string Node)> before;
        lock (answers) before = [.. answers];
        Assert.Contains(before, a => a.Url.Contains("/_blazor/negotiate", StringComparison.Ordinal));
        var first = Assert.Single(before.Select(a => a.Node).Distinct());
        var other = Assert.Single(cluster.Nodes.Keys, node => node != first);

        // The first node dies with the student's circuit in it. The page's reconnection reaches the other node, which
        // does not know the circuit; the page reloads there, and the authentication cookie (its keys in the shared
        // database) still signs the student in.
        var reloaded = new TaskCompletionSource();
        student.Page.Load += (_, _) => reloaded.TrySetResult();
        lock (answers) answers.Clear();
        await cluster.Nodes[first].KillAsync();
        await reloaded.Task.WaitAsync(TimeSpan.FromMinutes(3));
        await student.WaitUntilInteractiveAsync();
        await Expect(student.Page.Locator(".account-name")).ToHaveTextAsync(email);

        // And on, to a page of the account.
        await student.GoToAsync("/Account/Manage", interactive: false);
        await Expect(student.Page.GetByText($"Signed in as {email}.")).ToBeVisibleAsync();
        List<(string Url, string Node)> after;
        lock (answers) after = [.. answers];
        Assert.Contains(after, a => a.Url.Contains("/_blazor/negotiate", StringComparison.Ordinal));
        Assert.All(after, a => Assert.Equal(other, a.Node));
    }

    [Fact]
    public async Task Thirty_submissions_are_each_graded_once_and_the_job_of_a_worker_killed_mid_run_is_finished_once_by_another()
    {
        var assignment = ContentLoader.Load(cluster.Setup.Content, new ContentLoadOptions(HiddenDataPath: cluster.Setup.Hidden)).FindAssignment("reviews")!;
        await using (var db = await cluster.Databases.CreateDbContextAsync())
        {
            db.Users.AddRange(Enumerable.Range(0, 31).Select(i => new CourseUser { Id = $"s{i}", UserName = $"s{i}", Email = $"s{i}@example.com" }));
            await db.SaveChangesAsync();
        }
        // Through the queue's own service (as the site's submit form and `course submit` do), on the shared database.
        // The long job first, so a worker is busy with it while the others take the thirty short ones.
        var queue = new SubmissionQueue(cluster.Databases, TimeProvider.System);
        var longJob = await queue.SubmitAsync("s30", assignment, TinyGradingSetup.Config(epochs: 50), "long", cluster.Setup.DatasetsFolder);
        var shortJobs = new List<long>();
        for (var i = 0; i < 30; i++)
        {
            shortJobs.Add((await queue.SubmitAsync($"s{i}", assignment, TinyGradingSetup.Config(epochs: 1), $"short-{i}", cluster.Setup.DatasetsFolder)).Id);
        }

        // The worker that holds the long job is killed mid-run (its progress reported, far from the end).
        var workers = cluster.Workers.Select(w => w.Process).ToArray();
        var running = await new JobWatch(cluster.Databases, workers).UntilAsync(longJob.Id,
            s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running) || s.Status == SubmissionStatus.Running && GradingProgress.FromJson(s.ProgressJson) is { Step: > 0 });
        Assert.Equal((SubmissionStatus.Running, 1), (running.Status, running.Attempts));
        var killed = cluster.Workers.Single(w => running.LeaseOwner == WorkerId(w));
        await killed.KillAsync();
        var survivors = cluster.Workers.Where(w => w != killed).ToList();

        var watch = new JobWatch(cluster.Databases, survivors.Select(w => w.Process).ToArray());
        foreach (var id in shortJobs.Append(longJob.Id))
        {
            await watch.UntilAsync(id, s => s.Status is not (SubmissionStatus.Queued or SubmissionStatus.Running));
        }
        await using var done = await cluster.Databases.CreateDbContextAsync();
        var rows = await done.Submissions.AsNoTracking().ToDictionaryAsync(s => s.Id);
        Assert.Equal(31, rows.Count);
        // Claimed once each (Attempts counts claims), succeeded, and graded by a worker of the deployment.
        Assert.All(shortJobs.Select(id => rows[id]), s =>
        {
            Assert.Equal((SubmissionStatus.Succeeded, 1), (s.Status, s.Attempts));
            Assert.Contains(cluster.Workers, w => s.Log.Contains($" worker {WorkerId(w)}, attempt 1\n", StringComparison.Ordinal));
        });
        // The long job: a second claim after the lease ran out, by another worker, recorded once.
        var taken = rows[longJob.Id];
        Assert.Equal((SubmissionStatus.Succeeded, 2), (taken.Status, taken.Attempts));
        Assert.Contains(survivors, w => taken.Log.Contains($" worker {WorkerId(w)}, attempt 2\n", StringComparison.Ordinal));
        Assert.Single(taken.Log.Split('\n'), line => line.Contains("finished: ", StringComparison.Ordinal));
        Assert.NotNull(GradingResult.FromJson(taken.ResultJson));
    }

    /// <summary>How a worker process names itself in the queue (<c>WorkerProcess</c>): host and PID.</summary>
    private static string WorkerId(RunningProcess worker) => $"{Environment.MachineName}:{worker.Id}";
}
