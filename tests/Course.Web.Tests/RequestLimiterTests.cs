using Course.Web.Features.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Course.Web.Tests;

public class RequestLimiterTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
    private readonly RequestLimiter _limiter;

    public RequestLimiterTests() => _limiter = new RequestLimiter(Options.Create(new RateLimitOptions
    {
        SignIn = new RateLimitRule { PerUser = 3, PerAddress = 5, WindowSeconds = 60 },
        Registration = new RateLimitRule { PerUser = 0, PerAddress = 0 },
    }), _clock);

    public void Dispose() => _limiter.Dispose();

    [Fact]
    public void The_call_after_the_limit_is_refused_with_the_wait_left_and_allowed_once_the_window_has_passed()
    {
        var allowed = Enumerable.Range(0, 3).Select(_ => _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7")).ToList();
        var refused = _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7");
        _clock.Advance(TimeSpan.FromSeconds(59.5));
        var stillRefused = _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7");
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        var afterWindow = _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7");

        Assert.Equal([null, null, null], allowed);
        Assert.Equal("Too many sign-in attempts; try again in 60 s.", refused);
        Assert.Equal("Too many sign-in attempts; try again in 1 s.", stillRefused);
        Assert.Null(afterWindow);
    }

    [Fact]
    public void One_address_is_limited_across_accounts_and_one_account_across_addresses()
    {
        // Five calls from one address for five accounts, then a sixth account from that address.
        var fromOneAddress = Enumerable.Range(1, 5).Select(i => _limiter.Check(LimitedAction.SignIn, $"user{i}@example.com", "203.0.113.7")).ToList();
        var sixthAccount = _limiter.Check(LimitedAction.SignIn, "user6@example.com", "203.0.113.7");
        var elsewhere = _limiter.Check(LimitedAction.SignIn, "user6@example.com", "198.51.100.1");
        // user1 has had one call; two more from other addresses, then the account is at its limit of three.
        var account = new[] { "198.51.100.2", "198.51.100.3", "198.51.100.4" }.Select(a => _limiter.Check(LimitedAction.SignIn, "USER1@example.com", a)).ToList();

        Assert.Equal([null, null, null, null, null], fromOneAddress);
        Assert.Equal("Too many sign-in attempts; try again in 60 s.", sixthAccount);
        Assert.Null(elsewhere);
        Assert.Equal([null, null, "Too many sign-in attempts; try again in 60 s."], account);
    }

    [Fact]
    public void Actions_are_counted_apart_and_a_limit_of_zero_is_no_limit()
    {
        var signIns = Enumerable.Range(0, 3).Select(_ => _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7")).ToList();
        var registrations = Enumerable.Range(0, 50).Select(_ => _limiter.Check(LimitedAction.Registration, "ada@example.com", "203.0.113.7")).ToList();

        Assert.Equal([null, null, null], signIns);
        Assert.All(registrations, Assert.Null);
        Assert.Equal("Too many sign-in attempts; try again in 60 s.", _limiter.Check(LimitedAction.SignIn, "ada@example.com", "203.0.113.7"));
    }
}
