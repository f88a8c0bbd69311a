using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Security;

/// <summary>The actions an abuser would repeat: guessing, mass sign-ups, flooding the pool or the grading queue.</summary>
public enum LimitedAction { SignIn, Registration, PasswordReset, Inference, QuizAnswer, Submission }

/// <summary>One action's limits: calls per window for one account and for one client address; 0 turns either off.</summary>
public sealed class RateLimitRule
{
    /// <summary>Per signed-in user; before sign-in (sign-in, registration, reset) per e-mail address typed.</summary>
    public int PerUser { get; set; }

    /// <summary>Per client IP address; higher than <see cref="PerUser"/> because a classroom shares one address behind NAT.</summary>
    public int PerAddress { get; set; }

    public int WindowSeconds { get; set; } = 60;
}

/// <summary>The <c>RateLimits</c> section of appsettings.json: a rule per <see cref="LimitedAction"/>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public RateLimitRule SignIn { get; set; } = new() { PerUser = 10, PerAddress = 50, WindowSeconds = 300 };
    public RateLimitRule Registration { get; set; } = new() { PerUser = 3, PerAddress = 20, WindowSeconds = 3600 };
    public RateLimitRule PasswordReset { get; set; } = new() { PerUser = 5, PerAddress = 20, WindowSeconds = 900 };
    public RateLimitRule Inference { get; set; } = new() { PerUser = 30, PerAddress = 120, WindowSeconds = 60 };
    public RateLimitRule QuizAnswer { get; set; } = new() { PerUser = 120, PerAddress = 1200, WindowSeconds = 60 };
    public RateLimitRule Submission { get; set; } = new() { PerUser = 10, PerAddress = 60, WindowSeconds = 600 };

    public RateLimitRule For(LimitedAction action) => action switch
    {
        LimitedAction.SignIn => SignIn,
        LimitedAction.Registration => Registration,
        LimitedAction.PasswordReset => PasswordReset,
        LimitedAction.Inference => Inference,
        LimitedAction.QuizAnswer => QuizAnswer,
        LimitedAction.Submission => Submission,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}

/// <summary>
/// The site's one rate limiter, called by the services themselves: Blazor circuit events never pass through
/// HTTP middleware, so an endpoint limiter would miss every quiz save and playground run. A call counts against
/// the caller's account and against their address (a chained limiter: both must allow it). A refusal is a
/// message to show, never an exception.
/// </summary>
public sealed class RequestLimiter : IDisposable
{
    /// <summary>The partition of calls whose address is unknown (no connection information): shared, not unlimited.</summary>
    private const string UnknownAddress = "unknown";

    private readonly PartitionedRateLimiter<Caller> _limiter;
    private readonly IOptions<RateLimitOptions> _options;

    public RequestLimiter(IOptions<RateLimitOptions> options, TimeProvider clock)
    {
        _options = options;
        // E-mail addresses are typed in any case; one account is one partition.
        var perUser = PartitionedRateLimiter.Create<Caller, (LimitedAction, string)>(caller =>
        {
            var rule = options.Value.For(caller.Action);
            return Window(caller.Action, caller.User?.ToUpperInvariant(), rule.PerUser, rule.WindowSeconds, clock);
        });
        var perAddress = PartitionedRateLimiter.Create<Caller, (LimitedAction, string)>(caller =>
        {
            var rule = options.Value.For(caller.Action);
            return Window(caller.Action, caller.Address ?? UnknownAddress, rule.PerAddress, rule.WindowSeconds, clock);
        });
        _limiter = PartitionedRateLimiter.CreateChained(perUser, perAddress);
    }

    /// <summary>Counts one call; null when it may go ahead, else "Too many …; try again in N s".</summary>
    /// <param name="user">The signed-in user's id, the e-mail address typed before sign-in, or null for a visitor.</param>
    /// <param name="address">The client's IP address.</param>
    public string? Check(LimitedAction action, string? user, string? address)
    {
        using var lease = _limiter.AttemptAcquire(new Caller(action, user, address));
        if (lease.IsAcquired)
        {
            return null;
        }
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? retryAfter
            : TimeSpan.FromSeconds(_options.Value.For(action).WindowSeconds);
        return $"Too many {Describe(action)}; try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s.";
    }

    private static string Describe(LimitedAction action) => action switch
    {
        LimitedAction.SignIn => "sign-in attempts",
        LimitedAction.Registration => "registrations",
        LimitedAction.PasswordReset => "password resets",
        LimitedAction.Inference => "playground runs",
        LimitedAction.QuizAnswer => "answers saved",
        LimitedAction.Submission => "submissions",
        _ => "requests",
    };

    private static RateLimitPartition<(LimitedAction, string)> Window(LimitedAction action, string? key, int permitLimit, int seconds, TimeProvider clock) =>
        key is null || permitLimit <= 0
            ? RateLimitPartition.GetNoLimiter((action, ""))
            : RateLimitPartition.Get((action, key), _ => new FixedWindowLimiter(permitLimit, TimeSpan.FromSeconds(Math.Max(1, seconds)), clock));

    public void Dispose() => _limiter.Dispose();

    private readonly record struct Caller(LimitedAction Action, string? User, string? Address);
}
