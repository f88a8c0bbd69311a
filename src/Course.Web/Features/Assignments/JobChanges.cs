using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Assignments;

/// <summary>
/// A job that changed since the node last looked: its status (null when it left the jobs in flight unseen, so a
/// page reads the row again), the status it had before (null when new to the node), its <c>GradingProgress</c>
/// JSON and, while queued, its place in line (1 = next).
/// </summary>
public sealed record JobChange(long SubmissionId, string UserId, string AssignmentId, SubmissionStatus? Status, SubmissionStatus? Was, string? ProgressJson, int? Position)
{
    /// <summary>Whether the row holds more news than progress: a page that shows statuses, scores or grades reads it again.</summary>
    public bool StatusChanged => Status != Was;
}

/// <summary>
/// The node's one view of the grading jobs in flight, pushed to the circuits that show them. Each poll reads the
/// queued and running jobs and those just finished in one query (<see cref="SubmissionQueue.InFlightAsync"/>),
/// compares them with what the node saw last, and hands every subscriber the changes it asked for; so the
/// database sees one query per node and interval, however many assignment and grading pages are open.
/// Subscribers are called on the poller's thread and must return quickly (a circuit hands the work to its own
/// dispatcher with <c>InvokeAsync</c>).
/// </summary>
public sealed class JobChangeHub(SubmissionQueue queue, ILogger<JobChangeHub> logger)
{
    /// <summary>
    /// How far back a poll also reads finished jobs beyond the time since the previous poll: workers stamp
    /// <c>FinishedAt</c> with their own clock, which may trail the database's by a few seconds. Jobs seen again
    /// are not published twice.
    /// </summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private Subscription[] _subscriptions = [];
    private Dictionary<long, JobChange> _known = [];
    private long? _lastPoll;

    /// <summary>How many circuits follow jobs now.</summary>
    public int Subscribers => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Calls <paramref name="onChanges"/> with the changes <paramref name="which"/> accepts, once per poll that has
    /// any; dispose the result to stop (a component does so when disposed).
    /// </summary>
    public IDisposable Subscribe(Func<JobChange, bool> which, Action<IReadOnlyList<JobChange>> onChanges)
    {
        var subscription = new Subscription(this, which, onChanges);
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }
        return subscription;
    }

    /// <summary>
    /// One poll: reads the jobs in flight (nothing when no circuit listens) and publishes what changed. Polls run
    /// one at a time (the poller's loop); the returned count is the changes published.
    /// </summary>
    public async Task<int> PollAsync(TimeProvider clock, CancellationToken cancellationToken = default)
    {
        if (Subscribers == 0)
        {
            // Nobody to tell: no query. The next subscriber loads its rows itself, so the node starts afresh.
            (_known, _lastPoll) = ([], null);
            return 0;
        }
        var started = clock.GetTimestamp();
        var since = _lastPoll is { } last ? clock.GetElapsedTime(last, started) : TimeSpan.Zero;
        var rows = await queue.InFlightAsync(since + ClockSlack, cancellationToken);
        _lastPoll = started;
        var changes = Compare(rows);
        if (changes.Count > 0)
        {
            Publish(changes);
        }
        return changes.Count;
    }

    /// <summary>The changes between what the node knew and <paramref name="rows"/>, which become what it knows.</summary>
    private List<JobChange> Compare(IReadOnlyList<JobState> rows)
    {
        // Place in line as SubmissionQueue.PositionAsync counts it: every queued job, oldest first.
        var positions = rows.Where(r => r.Status == SubmissionStatus.Queued).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
            .Select((r, i) => (r.Id, Position: i + 1)).ToDictionary(p => p.Id, p => p.Position);
        var known = new Dictionary<long, JobChange>(rows.Count);
        var changes = new List<JobChange>();
        foreach (var row in rows)
        {
            var before = _known.GetValueOrDefault(row.Id);
            var now = new JobChange(row.Id, row.UserId, row.AssignmentId, row.Status, before?.Status, row.ProgressJson, positions.GetValueOrDefault(row.Id) is > 0 and var p ? p : null);
            known[row.Id] = now;
            if (before is null || before.Status != now.Status || before.ProgressJson != now.ProgressJson || before.Position != now.Position)
            {
                changes.Add(now);
            }
        }
        // A job in flight at the last poll and missing now ended beyond the look-back (or its row was deleted).
        changes.AddRange(_known.Values.Where(k => k.Status is SubmissionStatus.Queued or SubmissionStatus.Running && !known.ContainsKey(k.SubmissionId))
            .Select(k => k with { Status = null, Was = k.Status, Position = null }));
        _known = known;
        return changes;
    }

    private void Publish(IReadOnlyList<JobChange> changes)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            var wanted = changes.Where(subscription.Which).ToList();
            if (wanted.Count == 0)
            {
                continue;
            }
            try
            {
                subscription.OnChanges(wanted);
            }
            catch (Exception ex)
            {
                // One broken circuit must not keep the others from their news.
                logger.LogError(ex, "A subscriber failed on {Count} job changes", wanted.Count);
            }
        }
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_lock)
        {
            _subscriptions = _subscriptions.Where(s => s != subscription).ToArray();
        }
    }

    private sealed class Subscription(JobChangeHub hub, Func<JobChange, bool> which, Action<IReadOnlyList<JobChange>> onChanges) : IDisposable
    {
        public Func<JobChange, bool> Which { get; } = which;

        public Action<IReadOnlyList<JobChange>> OnChanges { get; } = onChanges;

        public void Dispose() => hub.Unsubscribe(this);
    }
}

/// <summary>
/// The node's one poller on SQLite (one machine: no other node to tell, and no notifications to hear):
/// <see cref="JobChangeHub.PollAsync"/> every <see cref="GradingOptions.ProgressPollMilliseconds"/>. PostgreSQL nodes
/// run <see cref="JobChangeListener"/> instead.
/// </summary>
public sealed class JobChangePoller(JobChangeHub hub, IOptions<GradingOptions> options, TimeProvider clock, ILogger<JobChangePoller> logger) : BackgroundService
{
    /// <summary>The poller's (and the listener's shortest) time between polls; a bad setting is an error naming it.</summary>
    public static TimeSpan Interval(GradingOptions options) => options.ProgressPollMilliseconds is > 0 and var interval
        ? TimeSpan.FromMilliseconds(interval)
        : throw new InvalidOperationException($"{GradingOptions.Section}:ProgressPollMilliseconds is the time between polls in milliseconds (above 0), not {options.ProgressPollMilliseconds}.");

    /// <summary>The node's poller for <paramref name="provider"/>: this one on SQLite, <see cref="JobChangeListener"/> on PostgreSQL.</summary>
    public static IHostedService For(IServiceProvider services, DatabaseProvider provider) => provider == DatabaseProvider.PostgreSQL
        ? ActivatorUtilities.CreateInstance<JobChangeListener>(services)
        : ActivatorUtilities.CreateInstance<JobChangePoller>(services);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval(options.Value);
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await hub.PollAsync(clock, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A database restart or a lock timeout: the next tick tries again, and pages keep what they show.
                logger.LogWarning(ex, "Reading the jobs in flight failed; trying again in {Interval} ms", interval.TotalMilliseconds);
            }
        }
    }
}
