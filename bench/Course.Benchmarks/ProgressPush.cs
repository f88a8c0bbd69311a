using System.Diagnostics;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Ml.Hub;
using Course.Tests.Shared;
using Course.Web.Features.Assignments;
using Course.Web.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Course.Benchmarks;

/// <summary>
/// Database commands per second spent keeping N open assignment pages live while a fake worker heartbeats the
/// progress of a few running jobs. Before: each page reloads what the page loaded every 2 s (the per-circuit timer
/// this replaced, with the same service calls). After: the node's <see cref="JobChangeHub"/> polls once per
/// <c>Grading:ProgressPollMilliseconds</c> and each page applies its own jobs' changes. Only the pages' commands are
/// counted; the worker's heartbeats are the same either way. On SQLite (a file) the node runs
/// <see cref="JobChangePoller"/>; with <c>--provider postgresql</c> it runs <see cref="JobChangeListener"/>, which polls
/// when the heartbeats' triggers notify it, on a fresh database per row on the server that the connection string in
/// <see cref="ServerVariable"/> names (its user may create databases; each is dropped after its row).
/// </summary>
internal static class ProgressPush
{
    private const int Running = 5;
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(new GradingOptions().HeartbeatSeconds);

    /// <summary>The environment variable naming the PostgreSQL server for <c>--provider postgresql</c>.</summary>
    public const string ServerVariable = "COURSE_BENCH_POSTGRES";

    public static async Task RunAsync(DatabaseProvider provider, IReadOnlyList<int> pageCounts, double seconds)
    {
        var server = provider == DatabaseProvider.PostgreSQL
            ? Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } set ? set
                : throw new InvalidOperationException($"progress --provider postgresql needs {ServerVariable}: a connection string to a PostgreSQL server whose user may create databases.")
            : null;
        Console.WriteLine($"{Running} running jobs, a heartbeat each every {Heartbeat.TotalSeconds:0} s, {seconds:0} s measured per row " +
            (server is null ? "(SQLite file, JobChangePoller)" : "(PostgreSQL, JobChangeListener)"));
        Console.WriteLine("| open pages | before: commands/s (timer per page) | after: commands/s (hub) | progress updates seen by pages (after) |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (var pages in pageCounts)
        {
            var (before, _) = await MeasureAsync(server, pages, seconds, pushed: false);
            var (after, seen) = await MeasureAsync(server, pages, seconds, pushed: true);
            Console.WriteLine($"| {pages} | {before:0.0} | {after:0.0} | {seen} |");
        }
    }

    /// <param name="server">The PostgreSQL server's connection string; null: a SQLite file.</param>
    private static async Task<(double CommandsPerSecond, int ProgressSeen)> MeasureAsync(string? server, int pages, double seconds, bool pushed)
    {
        using var setup = new TinyGradingSetup();
        var counter = new CommandCounter();
        await using var database = await BenchDatabase.CreateAsync(server, setup.Root);
        await using var provider = Services(setup, database, counter);
        var assignment = provider.GetRequiredService<ContentRepository>().Current.FindAssignment("reviews")!;
        var workerDatabase = new DbContextOptionsBuilder<CourseDbContext>();
        workerDatabase.UseCourseDatabase(database.Provider, database.ConnectionString);
        var worker = new SubmissionQueue(new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<CourseDbContext>(workerDatabase.Options), TimeProvider.System);
        var running = await SeedAsync(provider, pages);

        using var stop = new CancellationTokenSource();
        var progressSeen = 0;
        var load = new System.Collections.Concurrent.ConcurrentBag<Task>();
        IHostedService? poller = null;
        if (pushed)
        {
            var hub = provider.GetRequiredService<JobChangeHub>();
            for (var i = 0; i < pages; i++)
            {
                var user = $"u{i}";
                // What AssignmentPage does with a change: a status change reads the page again, progress is written into the
                // row. A job the node sees for the first time is already on the page (it read its rows when it opened).
                hub.Subscribe(c => c.UserId == user && c.AssignmentId == assignment.Id, changes =>
                {
                    if (changes.Any(c => c.StatusChanged && c.Was is not null))
                    {
                        load.Add(PageLoadAsync(provider, user, assignment));
                    }
                    Interlocked.Add(ref progressSeen, changes.Count(c => !c.StatusChanged));
                });
            }
            // What the site registers for its provider.
            poller = JobChangePoller.For(provider, database.Provider);
            await poller.StartAsync(stop.Token);
        }
        else
        {
            // The per-page timers, started spread over their 2 s as circuits open at different moments.
            foreach (var page in Enumerable.Range(0, pages).Select(i => TimerPageAsync(provider, $"u{i}", assignment, TimeSpan.FromSeconds(2.0 * i / pages), stop.Token)))
            {
                load.Add(page);
            }
        }
        var heartbeats = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(Heartbeat);
            for (var step = 1; await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result); step++)
            {
                foreach (var id in running)
                {
                    await worker.HeartbeatAsync(id, "bench-worker", TimeSpan.FromMinutes(5), $$"""{"Step":{{step}},"TotalSteps":1000,"Loss":0.5}""", null);
                }
            }
        });

        // The first seconds open the pages; the window counts the steady state.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (start, clock) = (counter.Count, Stopwatch.StartNew());
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var commands = counter.Count - start;
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        if (poller is not null)
        {
            await poller.StopAsync(CancellationToken.None);
        }
        await heartbeats;
        await Task.WhenAll(load.ToList()).ContinueWith(_ => { });
        return (commands / elapsed, progressSeen);
    }

    private static async Task TimerPageAsync(IServiceProvider provider, string user, Course.Core.Assignments.Assignment assignment, TimeSpan offset, CancellationToken stop)
    {
        try
        {
            await Task.Delay(offset, stop);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
            while (await timer.WaitForNextTickAsync(stop))
            {
                await PageLoadAsync(provider, user, assignment);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>AssignmentPage.LoadAsync's calls: the standing, each queued job's place, regrade requests, the leaderboard.</summary>
    private static async Task PageLoadAsync(IServiceProvider provider, string user, Course.Core.Assignments.Assignment assignment)
    {
        using var scope = provider.CreateScope();
        var assignments = scope.ServiceProvider.GetRequiredService<AssignmentService>();
        var standing = await assignments.StandingAsync(user, assignment);
        foreach (var queued in standing.Submissions.Where(r => r.Submission.Status == SubmissionStatus.Queued))
        {
            await assignments.PositionAsync(queued.Submission.Id);
        }
        await scope.ServiceProvider.GetRequiredService<ReportService>().RegradesAsync(user, assignment.Id);
        await assignments.LeaderboardPrivateAsync(assignment);
        await assignments.LeaderboardAsync(assignment, user);
    }

    /// <summary>N students with two graded submissions each (a leaderboard to read); the first few have a running job.</summary>
    private static async Task<IReadOnlyList<long>> SeedAsync(IServiceProvider provider, int students)
    {
        await using var db = await provider.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Users.AddRange(Enumerable.Range(0, students).Select(i => new CourseUser { Id = $"u{i}", UserName = $"u{i}", Email = $"u{i}@example.com" }));
        var now = DateTimeOffset.UtcNow;
        db.Submissions.AddRange(Enumerable.Range(0, students).SelectMany(i => Enumerable.Range(0, 2).Select(k => new Submission
        {
            UserId = $"u{i}", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = $"g{i}-{k}", Status = SubmissionStatus.Succeeded,
            CreatedAt = now.AddHours(-2), FinishedAt = now.AddHours(-1), PublicScore = 0.5 + 0.001 * i + 0.01 * k, PrivateScore = 0.5,
        })));
        var running = Enumerable.Range(0, Math.Min(Running, students)).Select(i => new Submission
        {
            UserId = $"u{i}", AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = $"r{i}", Status = SubmissionStatus.Running,
            LeaseOwner = "bench-worker", CreatedAt = now, StartedAt = now, Attempts = 1,
        }).ToList();
        db.Submissions.AddRange(running);
        await db.SaveChangesAsync();
        return running.Select(s => s.Id).ToList();
    }

    /// <summary>The site's assignment services over <paramref name="database"/>, every page command counted.</summary>
    private static ServiceProvider Services(TinyGradingSetup setup, BenchDatabase database, CommandCounter counter)
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(new CourseEnvironment(setup.Root));
        services.AddSingleton(Options.Create(new ContentOptions { Path = "content" }));
        services.AddSingleton<ContentRepository>();
        services.AddSingleton(TimeProvider.System);
        services.AddDbContextFactory<CourseDbContext>(o => o.UseCourseDatabase(database.Provider, database.ConnectionString).AddInterceptors(counter));
        services.AddSingleton(Options.Create(new RateLimitOptions()));
        services.AddSingleton<RequestLimiter>();
        services.AddScoped<ClientConnection>();
        services.AddSingleton(Options.Create(new GradingOptions { HiddenDataPath = setup.Hidden }));
        services.AddSingleton<SubmissionQueue>();
        services.AddSingleton(setup.Hub);
        services.AddScoped<AssignmentService>();
        services.AddScoped<ReportService>();
        services.AddSingleton<JobChangeHub>();
        return services.BuildServiceProvider();
    }
}

/// <summary>One row's database: a SQLite file in the row's folder, or a fresh database on a PostgreSQL server, dropped after the row.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? _server;

    private BenchDatabase(DatabaseProvider provider, string connectionString, string? server) => (Provider, ConnectionString, _server) = (provider, connectionString, server);

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <param name="server">A PostgreSQL server's connection string; null: a SQLite file in <paramref name="folder"/>.</param>
    public static async Task<BenchDatabase> CreateAsync(string? server, string folder)
    {
        if (server is null)
        {
            return new BenchDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(folder, "course.db")}", null);
        }
        var name = $"bench_{Guid.NewGuid():N}";
        await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
        return new BenchDatabase(DatabaseProvider.PostgreSQL, new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ToString(), server);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(_server, $"DROP DATABASE \"{new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Database}\" WITH (FORCE)");
        }
    }

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
