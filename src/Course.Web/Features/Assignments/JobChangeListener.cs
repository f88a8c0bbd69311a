using Course.Core.Data;
using Course.Grading;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Course.Web.Features.Assignments;

/// <summary>
/// The node's one listener on PostgreSQL, in place of <see cref="JobChangePoller"/>: a connection of its own LISTENs on
/// <see cref="Channel"/>, which triggers on <c>Submissions</c> notify (migration <c>JobChangeNotifications</c>) for
/// every change of a job's status or progress and every job added or deleted, and a notification runs
/// <see cref="JobChangeHub.PollAsync"/>. Polls stay at least <see cref="GradingOptions.ProgressPollMilliseconds"/>
/// apart, so a storm of heartbeats from many workers is still one query per node and interval, and the jobs are
/// read every <see cref="GradingOptions.ProgressSafetyPollSeconds"/> anyway, in case a notification was lost. While
/// it cannot listen (the database restarts, a pooler that drops LISTEN) it reconnects with backoff, warning once,
/// and polls every interval as <see cref="JobChangePoller"/> does; once it listens again it reads the jobs, since
/// what changed while it was deaf is in the rows.
/// </summary>
public sealed class JobChangeListener(JobChangeHub hub, IDbContextFactory<CourseDbContext> databases, IOptions<GradingOptions> options, TimeProvider clock,
    ILogger<JobChangeListener> logger) : BackgroundService
{
    /// <summary>The channel the triggers of migration <c>JobChangeNotifications</c> notify, with the submission id as payload.</summary>
    public const string Channel = "course_jobs";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    /// <summary>Completed by a notification (or a reason to read the jobs again); replaced when a poll starts.</summary>
    private TaskCompletionSource _changed = NewSignal();

    private volatile bool _listening;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = JobChangePoller.Interval(options.Value);
        var safety = options.Value.ProgressSafetyPollSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException(
                $"{GradingOptions.Section}:ProgressSafetyPollSeconds is the time between reads of the jobs without a notification, in seconds (above 0), not {options.Value.ProgressSafetyPollSeconds}.");
        await Task.WhenAll(ListenAsync(stoppingToken), PollAsync(interval, safety, stoppingToken));
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var connectionString = await ConnectionStringAsync(stoppingToken);
        var retry = FirstRetry;
        var deaf = false;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, _) => Wake();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                if (deaf)
                {
                    logger.LogInformation("Listening for job changes again");
                }
                (_listening, deaf, retry) = (true, false, FirstRetry);
                // What changed while nobody listened is in the rows (at start: nothing, and no query without subscribers).
                Wake();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The poll loop may be waiting out a safety interval: it reads now, then every interval until this listens again.
                _listening = false;
                Wake();
                if (!deaf)
                {
                    // Once per outage; the retries are silent.
                    deaf = true;
                    logger.LogWarning(ex, "Listening for job changes stopped; pages are updated every {Interval} ms until it listens again (retrying with backoff)",
                        options.Value.ProgressPollMilliseconds);
                }
                await Task.Delay(retry, clock, stoppingToken);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }
    }

    /// <summary>
    /// The site's connection string, unpooled: the connection lives as long as the node, and one that lived through a
    /// database restart must never come back from a pool. Keepalives make a server that vanished without closing the
    /// socket (a cut network) an error within a minute instead of silence.
    /// </summary>
    private async Task<string> ConnectionStringAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false, KeepAlive = 30 }.ToString();
    }

    private async Task PollAsync(TimeSpan interval, TimeSpan safety, CancellationToken stoppingToken)
    {
        long? lastPoll = null;
        var failing = false;
        while (true)
        {
            await Volatile.Read(ref _changed).Task.WaitAsync(_listening ? safety : interval, clock, stoppingToken)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            stoppingToken.ThrowIfCancellationRequested();
            if (lastPoll is { } last && interval - clock.GetElapsedTime(last) is { Ticks: > 0 } rest)
            {
                // A burst: every notification until the query starts is answered by it.
                await Task.Delay(rest, clock, stoppingToken);
            }
            Interlocked.Exchange(ref _changed, NewSignal());
            lastPoll = clock.GetTimestamp();
            try
            {
                await hub.PollAsync(clock, stoppingToken);
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A database restart or a lock timeout: pages keep what they show, and the next interval reads again.
                if (!failing)
                {
                    logger.LogWarning(ex, "Reading the jobs in flight failed; trying again every {Interval} ms", interval.TotalMilliseconds);
                }
                failing = true;
                Wake();
            }
        }
    }

    private void Wake() => Volatile.Read(ref _changed).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
