using Microsoft.Extensions.Time.Testing;

namespace Course.Web.Tests;

/// <summary>A fake clock that also counts the timers made from it and those not yet disposed, so tests catch leaks.</summary>
public sealed class TestClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _created;
    private int _alive;

    public int TimersCreated => _created;

    public int TimersAlive => _alive;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _created);
        Interlocked.Increment(ref _alive);
        return new CountedTimer(base.CreateTimer(callback, state, dueTime, period), this);
    }

    private sealed class CountedTimer(ITimer inner, TestClock clock) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref clock._alive);
            }
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
