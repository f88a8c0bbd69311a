using System.Threading.RateLimiting;

namespace Course.Web.Features.Security;

/// <summary>
/// A fixed window of <c>permitLimit</c> calls that opens with the first call and lasts <c>window</c>, read from a
/// <see cref="TimeProvider"/>. The built-in <see cref="FixedWindowRateLimiter"/> reads the Stopwatch and replenishes
/// on its own timer, so a test cannot move its clock, and its RetryAfter is the whole window rather than what is
/// left of it. Refused calls are not queued: the caller is told how long to wait.
/// </summary>
internal sealed class FixedWindowLimiter(int permitLimit, TimeSpan window, TimeProvider clock) : RateLimiter
{
    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = clock.GetUtcNow();
    private int _used;
    private long _granted, _refused;

    /// <summary>Idle once the window's calls are over; the partitioned limiter drops idle partitions after 10 s.</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var now = clock.GetUtcNow();
                return now >= _windowStart + window ? now - (_windowStart + window) : _used == 0 ? now - _windowStart : null;
            }
        }
    }

    public override RateLimiterStatistics GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = permitLimit - _used,
                TotalSuccessfulLeases = _granted,
                TotalFailedLeases = _refused,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            if (now >= _windowStart + window)
            {
                (_windowStart, _used) = (now, 0);
            }
            if (_used + permitCount <= permitLimit)
            {
                _used += permitCount;
                _granted++;
                return WindowLease.Granted;
            }
            _refused++;
            return new WindowLease(false, _windowStart + window - now);
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private sealed class WindowLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly WindowLease Granted = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
